"""Model engines, their configuration and the pool that runs them. Knows nothing about Gradio."""
