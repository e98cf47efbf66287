"""The pool's results for a request it cannot run or that ran past its time, and the reset after a timeout."""
from __future__ import annotations

from backends.contracts.results import MessageCode, ModelResult, Status
from backends.contracts.schema import ArenaConfig
from backends.pool.slots import Residency


def unknown_model(key: str) -> ModelResult:
    return ModelResult(key, key, Status.UNAVAILABLE, message=f"no model '{key}' in the config",
                       code=MessageCode.UNKNOWN_MODEL)


def time_out(config: ArenaConfig, residency: Residency, key: str, text: str) -> ModelResult:
    """Reset the model whose request ran past its timeout, and say so with the text it had streamed."""
    slot = residency.current(key)
    if slot is not None:
        # The hung thread keeps its engine and lock; the next request starts from a clean slot.
        residency.forget(key, slot)
        running = slot.engine or slot.loading
        if running is not None:
            running.cancel()  # stop generating or loading (or kill its worker) so the thread ends and frees it
    seconds = config.timeout_for(key)
    return ModelResult(key, config.get(key).name, Status.TIMEOUT, text=text,
                       message=f"no result within {seconds:g} s (timeout_s in config.yaml); the model was reset",
                       code=MessageCode.TIMEOUT)
