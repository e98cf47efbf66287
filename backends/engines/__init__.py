"""One folder per engine, named as its `engine:` value in config.yaml. Each holds its options model and its engine
class; the registry (backends/registry.py) names them, and nothing else does."""
