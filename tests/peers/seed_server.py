# The assignment's single-threaded web server, copied from the blog post httplab grew from (the seed), byte for
# byte except two lines: the port comes from argv[1] (the tests pick a free one) and it binds
# 127.0.0.1 rather than every interface. Its bugs are the point: the tests assert that
# `httplab check` names each of them.
import sys
# import socket module
from socket import *

serverSocket = socket(AF_INET, SOCK_STREAM)
# Prepare a sever socket
# Fill in start
# 定义ip和端口号，然后bind绑定socket
host = '127.0.0.1'
port = int(sys.argv[1])
serverSocket.bind((host, port))
serverSocket.listen(1)
# Fill in end
while True:
    # Establish the connection
    print('Ready to serve...')
    connectionSocket, addr = serverSocket.accept()
    # Fill in start  #Fill in end
    try:
        message = connectionSocket.recv(1024)  # Fill in start  #Fill in end
        filename = message.split()[1]
        f = open(filename[1:])
        outputdata = f.read()  # Fill in start  #Fill in end
        # Send one HTTP header line into socket
        # Fill in start
        header = ' HTTP/1.1 200 OK\nConnection: close\nContent-Type: text/html\nContent-Length: %d\n\n' % (
            len(outputdata))
        connectionSocket.send(header.encode())

        # Fill in end

        # Send the content of the requested file to the client
        for i in range(0, len(outputdata)):
            connectionSocket.send(outputdata[i].encode())
        connectionSocket.close()
    except IOError:
        # Send response message for file not found
        # Fill in start
        header = ' HTTP/1.1 404 Found'
        connectionSocket.send(header.encode())
        connectionSocket.close()
        # Fill in end

        # Close client socket
        # Fill in start
        # Fill in end
serverSocket.close()

