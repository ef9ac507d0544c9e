# Binds but forgets listen(), then waits: nothing ever listens on 6789.
import time
from socket import *
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', 6789))
print('Ready to serve...')
time.sleep(3600)
