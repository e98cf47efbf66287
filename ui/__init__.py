"""The Gradio front end. It runs models only through backends.pool and never loads one itself."""
