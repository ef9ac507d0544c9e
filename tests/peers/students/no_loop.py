# Part 1 of the assignment (one connection at a time), by a careful student who made one
# mistake:
#   1. no loop around accept(): the server answers one client, then reaches the end of the
#      program (the skeleton's serverSocket.close() and sys.exit()) and exits with status 0
import os
import sys
from email.utils import formatdate
from socket import *

TYPES = {'.html': 'text/html', '.css': 'text/css', '.png': 'image/png', '.txt': 'text/plain'}

serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('127.0.0.1', int(sys.argv[1])))
serverSocket.listen(5)
print('Ready to serve...', flush=True)
connectionSocket, addr = serverSocket.accept()
try:
    message = b''
    while b'\r\n\r\n' not in message:
        chunk = connectionSocket.recv(4096)
        if not chunk:
            break
        message += chunk
    parts = message.split()
    filename = parts[1].decode() if len(parts) > 1 else '/'
    path = os.path.normpath(filename.split('?')[0].lstrip('/')) or '.'
    if path.startswith('..') or not os.path.isfile(path):
        raise IOError
    with open(path, 'rb') as f:
        data = f.read()
    ctype = TYPES.get(os.path.splitext(path)[1], 'application/octet-stream')
    header = 'HTTP/1.1 200 OK\r\nDate: %s\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n' % (
        formatdate(usegmt=True), ctype, len(data))
    connectionSocket.sendall(header.encode() + data)
except IOError:
    body = b'<html><body><h1>404 Not Found</h1></body></html>'
    header = 'HTTP/1.1 404 Not Found\r\nDate: %s\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n' % (
        formatdate(usegmt=True), len(body))
    connectionSocket.sendall(header.encode() + body)
connectionSocket.close()
serverSocket.close()
sys.exit()
