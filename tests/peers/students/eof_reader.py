# A multithreaded server by a student who made one mistake:
#   1. it reads the request until recv() returns b'' (the client closed), and only then
#      answers: a browser never closes first, so it waits forever
import os
import sys
import threading
from email.utils import formatdate
from socket import *

TYPES = {'.html': 'text/html', '.css': 'text/css', '.png': 'image/png', '.txt': 'text/plain'}


def handle(connectionSocket):
    try:
        message = b''
        while True:
            chunk = connectionSocket.recv(4096)
            if not chunk:
                break
            message += chunk
        parts = message.split()
        if len(parts) < 2:
            return
        filename = parts[1].decode().split('?')[0]
        path = os.path.normpath(filename.lstrip('/')) or '.'
        if path.startswith('..') or not os.path.isfile(path):
            status, ctype, data = '404 Not Found', 'text/html', b'<html><body><h1>404 Not Found</h1></body></html>'
        else:
            status = '200 OK'
            ctype = TYPES.get(os.path.splitext(path)[1], 'application/octet-stream')
            with open(path, 'rb') as f:
                data = f.read()
        header = 'HTTP/1.1 %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n' % (
            status, formatdate(usegmt=True), ctype, len(data))
        connectionSocket.sendall(header.encode() + data)
    except Exception as error:
        print('error:', error, flush=True)
    finally:
        connectionSocket.close()


serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('127.0.0.1', int(sys.argv[1])))
serverSocket.listen(50)
print('Ready to serve...', flush=True)
while True:
    connectionSocket, addr = serverSocket.accept()
    threading.Thread(target=handle, args=(connectionSocket,), daemon=True).start()
