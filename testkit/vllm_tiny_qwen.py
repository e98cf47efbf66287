"""The tiny vLLM checkpoints of the Qwen2 language-model families: Qwen2-VL, Qwen2.5-VL and Qwen3-VL (written by
their Transformers classes), and dots.ocr (a Qwen2 language model beside a vision tower named as its checkpoint
names it, vLLM's layout)."""
from __future__ import annotations

from pathlib import Path

from testkit.tiny_models import QWEN_SPECIALS, _qwen_chat_template, _tokenizer
from testkit.vllm_tiny_weights import (HEAD_DIM, HEADS, HIDDEN, KV_HEADS, TEXT, random_tensors, save_safetensors,
                                       silence_specials, write_json)


def build_qwen(family: str, dest: Path) -> None:
    """Write the tiny checkpoint of a Qwen-VL family (qwen2_vl, qwen2_5_vl, qwen3_vl, qwen2_vl_head16) into `dest`."""
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
    silence_specials(model.get_output_embeddings().weight, tok, config.get_text_config().vocab_size)
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


def build_dots(dest: Path) -> None:
    """Write the tiny dots.ocr checkpoint into `dest`, with its stand-in remote configuration module."""
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
    silence_specials(lm.lm_head.weight, tok, vocab)
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
    tensors |= random_tensors(shapes, seed=1)
    save_safetensors(dest, tensors, torch.bfloat16)
    write_json(dest / "config.json", config)
    (dest / "configuration_dots.py").write_text(DOTS_CONFIG_SHIM)
    write_json(dest / "generation_config.json", dict(bos_token_id=ids["<|endoftext|>"],
                                                      eos_token_id=[ids["<|endofassistant|>"], ids["<|endoftext|>"]],
                                                      pad_token_id=ids["<|endoftext|>"]))
    image = tf.Qwen2VLImageProcessor(patch_size=14, temporal_patch_size=1, merge_size=2,
                                     min_pixels=3136, max_pixels=11289600)
    video = tf.Qwen2VLVideoProcessor(patch_size=14, temporal_patch_size=1, merge_size=2)
    tok.image_token = "<|imgpad|>"
    tf.Qwen2VLProcessor(image_processor=image, tokenizer=tok, video_processor=video,
                        chat_template=DOTS_TEMPLATE).save_pretrained(dest)

