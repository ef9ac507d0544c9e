# The assignment's client (part 3: client.py server_host server_port filename), written
# carefully: one TCP connection, a complete HTTP/1.1 request with CRLF line ends, Host and
# Connection: close, then the whole response, read until the server closes or until
# Content-Length bytes of body have come, printed as it arrived (bytes to stdout).
import sys
from socket import AF_INET, SOCK_STREAM, socket


def main():
    if len(sys.argv) != 4:
        print('usage: client.py server_host server_port filename', file=sys.stderr)
        return 2
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not path.startswith('/'):
        path = '/' + path
    try:
        sock = socket(AF_INET, SOCK_STREAM)
        sock.settimeout(10)
        sock.connect((host, port))
    except OSError as error:
        print(f'cannot connect to {host}:{port}: {error}', file=sys.stderr)
        return 1
    with sock:
        request = f'GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n'
        sock.sendall(request.encode('ascii'))
        data = b''
        length = None
        head_end = -1
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if head_end < 0:
                head_end = data.find(b'\r\n\r\n')
                if head_end >= 0:
                    for line in data[:head_end].split(b'\r\n')[1:]:
                        name, _, value = line.partition(b':')
                        if name.strip().lower() == b'content-length':
                            length = int(value.strip())
            if head_end >= 0 and length is not None and len(data) >= head_end + 4 + length:
                break
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


sys.exit(main())
