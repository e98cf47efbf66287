"""The model pool: lazy loading, warm reuse, a memory budget, per-model timeouts and failure isolation.

Every front end (arena, chat, fields, benchmark) runs models through `ModelPool.run` or `run_many`. Neither ever
raises for a model's failure: a broken, missing or hung model becomes a `ModelResult` with a status and a message,
and the other models carry on. Loaded models stay warm until the memory budget needs their room (least recently
used first), the user unloads them, or their worker process dies.
"""
from backends.pool.model_pool import ModelPool

__all__ = ["ModelPool"]
