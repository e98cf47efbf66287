"""vLLM, two ways: a managed `vllm serve` per model (server.py, engine.py) and `vllm.LLM` in a worker process
(in_process.py). What both build from config.yaml lives in args.py, so it is tested without vLLM installed."""
