"""Loading a model: device, dtype and an attention implementation that this machine and family accept.

Attention is tried in order flash_attention_2 → sdpa → eager. Flash-attention is only tried where it
can work (the package installed, an Ampere or newer GPU); a family known to reject an implementation
skips it; any other rejection at load time falls through to the next one, and the reasons are kept so
the column can say why a model runs on eager attention.
"""
from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

ATTENTION_ORDER = ("flash_attention_2", "sdpa", "eager")

# Neither half of a first load is thread-safe. transformers imports its modules lazily on attribute access, and
# two threads importing it through different names at once can see a half-initialised module ("cannot import
# name 'AutoProcessor' from 'transformers'"). from_pretrained patches process-wide torch state while it builds a
# model (meta-device init), so parallel loads corrupt each other ("Cannot copy out of meta tensor"). So whatever
# can import transformers modules or build a model (imports, processors, weights, inputs) holds this lock.
TRANSFORMERS_LOCK = threading.RLock()


@dataclass(frozen=True)
class Placement:
    device: str  # "cpu", "cuda", "cuda:1"
    dtype_name: str  # "float32", "bfloat16", "float16"


def resolve_placement(device: str = "auto", dtype: str = "auto") -> Placement:
    """auto: the GPU if there is one, in bf16 where it supports it (fp16 on older cards); fp32 on CPU."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        if device.startswith("cuda"):
            dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        else:
            dtype = "float32"
    return Placement(device, dtype)


def flash_attention_unusable(device: str) -> str | None:
    """Why flash-attention 2 cannot run here, or None if it may."""
    if not device.startswith("cuda"):
        return "needs a CUDA GPU"
    if importlib.util.find_spec("flash_attn") is None:
        return "flash_attn is not installed"
    import torch

    major, _ = torch.cuda.get_device_capability(torch.device(device))
    if major < 8:
        return "needs an Ampere or newer GPU"
    return None


def _is_attention_rejection(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("attn", "attention", "sdpa", "flash"))


@dataclass
class AttentionChoice:
    used: str = ""
    skipped: dict[str, str] = field(default_factory=dict)  # implementation -> why it was not used

    def describe(self) -> str:
        if not self.skipped:
            return self.used
        reasons = "; ".join(f"{name}: {why}" for name, why in self.skipped.items())
        return f"{self.used} ({reasons})"


def candidate_attention(requested: str, device: str, family_rejects: frozenset[str]) -> tuple[list[str], dict[str, str]]:
    """The implementations to try, in order, and the ones skipped up front with the reason."""
    if requested != "auto":
        return [requested], {}
    order, skipped = [], {}
    for name in ATTENTION_ORDER:
        if name in family_rejects:
            skipped[name] = "not supported by this model family"
        elif name == "flash_attention_2" and (why := flash_attention_unusable(device)):
            skipped[name] = why
        else:
            order.append(name)
    return order, skipped


def load_model(source: str, *, revision: str | None, trust_remote_code: bool, placement: Placement,
               attention: str = "auto", family_rejects: frozenset[str] = frozenset()):
    """AutoModelForImageTextToText with the first attention implementation the model accepts.

    Returns (model, AttentionChoice). Errors that are not about attention (missing weights, out of
    memory) are raised at once rather than retried.
    """
    import torch
    from transformers import AutoModelForImageTextToText

    order, skipped = candidate_attention(attention, placement.device, family_rejects)
    choice = AttentionChoice(skipped=skipped)
    kwargs = {"revision": revision, "trust_remote_code": trust_remote_code, "dtype": getattr(torch, placement.dtype_name)}
    if placement.device.startswith("cuda"):
        kwargs["device_map"] = placement.device  # straight onto the GPU, without a full copy in RAM
    for index, name in enumerate(order):
        try:
            with TRANSFORMERS_LOCK:
                model = AutoModelForImageTextToText.from_pretrained(source, attn_implementation=name, **kwargs)
        except (ValueError, ImportError) as exc:
            if index == len(order) - 1 or not _is_attention_rejection(exc):
                raise
            choice.skipped[name] = f"rejected ({str(exc).splitlines()[0][:160]})"
            log.info("%s: attention %s rejected, trying the next one: %s", source, name, exc)
            continue
        choice.used = name
        if not placement.device.startswith("cuda"):
            model = model.to(placement.device)
        log.info("%s: loaded on %s in %s with %s attention", source, placement.device, placement.dtype_name,
                 choice.describe())
        return model.eval(), choice
    raise ValueError("no attention implementation to try")  # only reachable with an empty order
