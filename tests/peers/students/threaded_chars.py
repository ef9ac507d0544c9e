# A multithreaded server (assignment part 2) by a student who made two mistakes:
#   1. Content-Length is len() of the decoded text: characters, not bytes
#   2. it never closes a connection: each handler answers one request and returns, and the
#      sockets are kept in a list "so they are not garbage collected too early"
import os
import sys
import threading
from email.utils import formatdate
from socket import *

TYPES = {'.html': 'text/html', '.css': 'text/css', '.png': 'image/png', '.txt': 'text/plain'}
connections = []


def handle(connectionSocket):
    try:
        message = b''
        while b'\r\n\r\n' not in message:
            chunk = connectionSocket.recv(4096)
            if not chunk:
                return
            message += chunk
        parts = message.split()
        filename = parts[1].decode().split('?')[0]
        path = os.path.normpath(filename.lstrip('/')) or '.'
        if path.startswith('..') or not os.path.isfile(path):
            body = '<html><body><h1>404 Not Found</h1></body></html>'
            status = '404 Not Found'
            ctype = 'text/html'
            data = body.encode()
        else:
            status = '200 OK'
            ctype = TYPES.get(os.path.splitext(path)[1], 'application/octet-stream')
            if ctype.startswith('text/'):
                with open(path, encoding='utf-8') as f:
                    body = f.read()
                data = body.encode('utf-8')
            else:
                with open(path, 'rb') as f:
                    data = f.read()
                body = data
        header = 'HTTP/1.1 %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n' % (
            status, formatdate(usegmt=True), ctype, len(body))
        connectionSocket.sendall(header.encode() + data)
    except Exception as error:
        print('error:', error, flush=True)


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('127.0.0.1', int(sys.argv[1])))
serverSocket.listen(50)
print('Ready to serve...', flush=True)
while True:
    connectionSocket, addr = serverSocket.accept()
    connections.append(connectionSocket)
    threading.Thread(target=handle, args=(connectionSocket,), daemon=True).start()
