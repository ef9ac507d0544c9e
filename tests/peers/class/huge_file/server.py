# Writes a "log" without bound before it starts; the file-size limit stops it with
# "File too large", which it prints, then it serves like the seed's server.
from socket import *
try:
    with open('access.log', 'wb') as log:
        block = b'x' * (1 << 20)
        while True:
            log.write(block)
except OSError as error:
    print('log:', error)
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', 6789))
serverSocket.listen(1)
while True:
    connectionSocket, addr = serverSocket.accept()
    try:
        message = connectionSocket.recv(1024)
        name = message.split()[1].decode()[1:]
        with open(name, 'rb') as f:
            body = f.read()
        connectionSocket.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
    except Exception:
        connectionSocket.sendall(b'HTTP/1.1 404 Not Found\r\n\r\n')
    connectionSocket.close()
