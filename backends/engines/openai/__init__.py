"""The `openai` engine: any OpenAI-compatible endpoint (vllm serve, sglang, transformers serve, a hosted API)."""
