# The seed's client with its request fixed (a version, CRLF line ends, Host, the empty line),
# as a student might leave it after a first round of feedback. Still planted:
#   1. the response is printed with repr(): b'HTTP/1.1 200 OK\r\n...'
#   2. it stops reading at the first b"0\r\n" anywhere in what arrived
#   3. otherwise it reads until the server closes, and sends no Connection: close
#   4. nothing catches the error of connect()
from socket import *
import sys
clientSocket = socket(AF_INET, SOCK_STREAM)
host = str(sys.argv[1])
port = int(sys.argv[2])

clientSocket.connect((host, port))
msg = 'GET ' + str(sys.argv[3]) + ' HTTP/1.1\r\nHost: ' + host + ':' + str(port) + '\r\n\r\n'
clientSocket.send(msg.encode())
result = b""
while True:
    recv_data = clientSocket.recv(1024)
    if recv_data:
        result += recv_data
        if result.rfind(b"0\r\n") != -1:
            break
    else:
        break

print('Received', repr(result))
