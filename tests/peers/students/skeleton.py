# The textbook's skeleton (Kurose & Ross, chapter 2 programming assignment 1), filled in by a
# careful student who still made three mistakes:
#   1. header lines end in "\n" instead of "\r\n"
#   2. the body is sent one character per send() call
#   3. a stray connectionSocket.send("\r\n") after the body
# Part 1 of the assignment: one connection at a time, which is what part 1 asks for.
import os
import sys
from email.utils import formatdate
from socket import *

TYPES = {'.html': 'text/html', '.css': 'text/css', '.png': 'image/png', '.txt': 'text/plain'}

serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('127.0.0.1', int(sys.argv[1])))
serverSocket.listen(5)
while True:
    print('Ready to serve...', flush=True)
    connectionSocket, addr = serverSocket.accept()
    try:
        connectionSocket.settimeout(5)
        message = b''
        while b'\r\n\r\n' not in message:
            chunk = connectionSocket.recv(1024)
            if not chunk:
                break
            message += chunk
        parts = message.split()
        if len(parts) < 2:
            connectionSocket.close()
            continue
        filename = parts[1].decode().split('?')[0]
        path = os.path.normpath(filename.lstrip('/')) or '.'
        if path.startswith('..') or not os.path.isfile(path):
            raise IOError
        with open(path, 'rb') as f:
            outputdata = f.read()
        ctype = TYPES.get(os.path.splitext(path)[1], 'application/octet-stream')
        header = 'HTTP/1.1 200 OK\nDate: %s\nConnection: close\nContent-Type: %s\nContent-Length: %d\n\n' % (
            formatdate(usegmt=True), ctype, len(outputdata))
        connectionSocket.send(header.encode())
        for i in range(0, len(outputdata)):
            connectionSocket.send(outputdata[i:i + 1])
        connectionSocket.send("\r\n".encode())
        connectionSocket.close()
    except timeout:
        connectionSocket.close()
    except IOError:
        body = b'<html><body><h1>404 Not Found</h1></body></html>'
        header = 'HTTP/1.1 404 Not Found\nDate: %s\nConnection: close\nContent-Type: text/html\nContent-Length: %d\n\n' % (
            formatdate(usegmt=True), len(body))
        connectionSocket.send(header.encode() + body)
        connectionSocket.close()
    except Exception as error:
        print('error:', error, flush=True)
        connectionSocket.close()
