"""Do the selected vLLM models fit one card together? Each reserves `gpu_memory_utilization` of it at start."""
from __future__ import annotations

from backends.config import ModelEntry

# What the vLLM models may reserve together; the rest is left to CUDA contexts and other processes.
CARD_LIMIT = 0.95


def card_share(entry: ModelEntry) -> float | None:
    if entry.engine != "vllm":
        return None
    from backends.vllm.args import VllmOptions

    return VllmOptions.model_validate(entry.options).gpu_memory_utilization


def card_share_refusals(entries: list[ModelEntry], limit: float = CARD_LIMIT) -> dict[str, str]:
    """Model key -> why it is refused, for the vLLM models that do not fit beside the ones selected before
    them. Every message names all the models to deselect, so one fix makes the whole selection fit."""
    shares = {e.key: share for e in entries if (share := card_share(e)) is not None}
    kept, refused, total = 0.0, [], sum(shares.values())
    for key, share in shares.items():
        if kept + share <= limit + 1e-9:
            kept += share
        else:
            refused.append(key)
    if not refused:
        return {}
    listing = ", ".join(f"{key} {share:g}" for key, share in shares.items())
    message = (f"the selected vLLM models would reserve {total:.2f} of the GPU together ({listing}), over the "
               f"{limit:g} that fits one card. Deselect {', '.join(refused)}, or lower their "
               "gpu_memory_utilization in config.yaml.")
    return {key: message for key in refused}
