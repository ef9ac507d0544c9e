# Serves one request, then kill(-1, SIGKILL): every process it may signal. Outside a pid
# namespace, as nobody, that would be every other submission's server too.
import os, signal
from socket import *
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(('', 6789))
serverSocket.listen(1)
connectionSocket, addr = serverSocket.accept()
connectionSocket.recv(1024)
connectionSocket.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')
connectionSocket.close()
os.kill(-1, signal.SIGKILL)
os.killpg(0, signal.SIGKILL)
