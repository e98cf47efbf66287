"""What engines run on: worker processes, the guard that ends a server with the app, Python environments, memory
readings and weight files. Nothing here knows a particular engine."""
