"""Do the selected vLLM models fit one card together? Each reserves `gpu_memory_utilization` of it at start."""
from __future__ import annotations

from backends.contracts.schema import ModelEntry
from backends.engines.vllm.args import VllmOptions

# What the vLLM models may reserve together; the rest is left to CUDA contexts and other processes.
CARD_LIMIT = 0.95


def card_share_refusals(entries: list[ModelEntry], limit: float = CARD_LIMIT) -> dict[str, str]:
    """Model key -> why it is refused, for the vLLM models among `entries` that do not fit beside the ones
    selected before them. Every message names all the models to deselect, so one fix makes the whole selection
    fit."""
    shares = {e.key: e.engine_options(VllmOptions).gpu_memory_utilization for e in entries if e.engine == "vllm"}
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
