# Does not even compile: the grade is 0 and the report shows Python's SyntaxError.
from socket import *
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', 6789)
serverSocket.listen(1)
