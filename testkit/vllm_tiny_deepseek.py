"""The tiny vLLM checkpoints of DeepSeek-OCR and DeepSeek-OCR-2, written from the weight names vLLM's implementation
loads (deepseek_ocr.py, deepseek_ocr2.py, deepencoder*.py): no Transformers class has vLLM's layout."""
from __future__ import annotations

from pathlib import Path

from testkit.tiny_models import _tokenizer
from testkit.vllm_tiny_weights import (HEADS, HIDDEN, LAYERS, MAX_POSITIONS, is_norm, random_tensors,
                                       silence_specials, write_json)

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
        if is_norm(name):
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


def build_deepseek(family: str, dest: Path) -> None:
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
    lm = {k: v.to(torch.bfloat16) for k, v in random_tensors(lm_shapes, seed=0).items()}
    silence_specials(lm["lm_head.weight"], tok, vocab)
    torch.save(tensors | lm, dest / "pytorch_model.bin")
    write_json(dest / "config.json", config)
    write_json(dest / "generation_config.json", dict(bos_token_id=0, eos_token_id=1))
    tok.save_pretrained(dest)  # no chat template in the real repos: vLLM falls back on its deepseek_ocr template

