# Prints and exits with status 0 before it ever listens.
print('Ready to serve...')
