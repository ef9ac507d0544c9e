# Listens on 8080 instead of the assignment's 6789, and answers correctly there.
from socket import *
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', 8080))
serverSocket.listen(1)
while True:
    connectionSocket, addr = serverSocket.accept()
    connectionSocket.recv(1024)
    connectionSocket.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    connectionSocket.close()
