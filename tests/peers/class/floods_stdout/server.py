# A thread prints without end (a debugging print left in a loop); the server itself works.
import threading
from socket import *

def flood():
    line = 'debug: ' + 'x' * 200
    while True:
        print(line)

threading.Thread(target=flood, daemon=True).start()
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', 6789))
serverSocket.listen(5)
while True:
    connectionSocket, addr = serverSocket.accept()
    try:
        message = connectionSocket.recv(4096)
        name = message.split()[1].decode()[1:]
        with open(name, 'rb') as f:
            body = f.read()
        connectionSocket.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
    except Exception:
        connectionSocket.sendall(b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    connectionSocket.close()
