# Listens, then spins forever in a busy loop without ever calling accept().
from socket import *
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', 6789))
serverSocket.listen(1)
x = 0
while True:
    x += 1
