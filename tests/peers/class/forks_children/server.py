# Forks a child per connection and never reaps it, and starts a daemon (double fork, its own
# session) that would outlive the grading if the sandbox let it. Answers correctly otherwise.
import os, sys, time
from socket import *
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            time.sleep(1)
    os._exit(0)
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', 6789))
serverSocket.listen(16)
while True:
    connectionSocket, addr = serverSocket.accept()
    if os.fork() == 0:
        serverSocket.close()
        message = connectionSocket.recv(4096)
        try:
            name = message.split()[1].decode()[1:]
            with open(name, 'rb') as f:
                body = f.read()
            connectionSocket.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
        except Exception:
            connectionSocket.sendall(b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        connectionSocket.close()
        time.sleep(60)
        os._exit(0)
    connectionSocket.close()
