"""What every engine and every front end agree on: the request and result types, the engine base and the config
schema. Nothing here imports an engine, the pool or Gradio."""
