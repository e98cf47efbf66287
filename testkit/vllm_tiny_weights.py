"""Sizes and weight/file helpers shared by the tiny vLLM checkpoints (testkit/vllm_tiny_models.py)."""
from __future__ import annotations

import json
from pathlib import Path

HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM = 64, 2, 2, 1, 32  # head size 32: the smallest vLLM's CPU attention takes
MAX_POSITIONS = 32768  # covers every entry's max_model_len
TEXT = dict(hidden_size=HIDDEN, intermediate_size=128, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
            num_key_value_heads=KV_HEADS, max_position_embeddings=MAX_POSITIONS)


def silence_specials(weight, tok, vocab_size: int) -> None:
    """Zero the output rows of special and unused ids, so random weights rarely end at once on EOS."""
    import torch

    silent = sorted(set(tok.get_added_vocab().values()) | set(range(len(tok), vocab_size)))
    with torch.no_grad():
        weight[silent] = 0


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def save_safetensors(dest: Path, tensors: dict, dtype) -> None:
    from safetensors.torch import save_file

    save_file({k: v.to(dtype).contiguous() for k, v in tensors.items()}, str(dest / "model.safetensors"),
              metadata={"format": "pt"})


def random_tensors(shapes: dict[str, tuple], seed: int) -> dict:
    """Random tensors for `shapes`: norms (names ending in norm weights) at 1, biases at 0, the rest N(0, 0.02)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in shapes.items():
        if name.endswith(".bias"):
            out[name] = torch.zeros(shape)
        elif is_norm(name):
            out[name] = torch.ones(shape)
        else:
            out[name] = torch.randn(shape, generator=gen) * 0.02
    return out


def is_norm(name: str) -> bool:
    parts = name.split(".")
    return parts[-1] == "weight" and any(p in ("norm", "norm1", "norm2", "ln_q", "post_trunk_norm", "pre_layrnorm",
                                               "layer_norm1", "layer_norm2", "post_layernorm", "input_layernorm",
                                               "post_attention_layernorm") for p in parts[-2:-1])

