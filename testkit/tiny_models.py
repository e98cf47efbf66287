"""Tiny same-architecture models for the Transformers engine: real code paths, no downloads, no GPU.

Each family is built from its own config class with random (seeded) weights, 2 layers, hidden 64, 4 heads,
2 KV heads and a tiny vision tower, plus a byte-level BPE tokenizer trained on a few strings. The folder holds
what the real repo holds (config, generation config, safetensors, tokenizer, preprocessor config, chat template
where the family has one), so `AutoModelForImageTextToText.from_pretrained` and `load_processor` read it unchanged.
`install_in_hf_cache` puts it under a real repo id, for `HF_HUB_OFFLINE=1`.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

# Family -> the real repo ids (config.yaml) it stands in for.
FAMILY_REPOS: dict[str, list[str]] = {
    "qwen2_vl": ["Qwen/Qwen2-VL-2B-Instruct"],
    "qwen2_5_vl": ["Qwen/Qwen2.5-VL-3B-Instruct"],
    "qwen3_vl": ["Qwen/Qwen3-VL-2B-Instruct", "Qwen/Qwen3-VL-4B-Instruct"],
    "got_ocr2": ["stepfun-ai/GOT-OCR-2.0-hf"],
    "deepseek_ocr2": ["deepseek-community/DeepSeek-OCR-2"],
    "florence2": ["florence-community/Florence-2-base"],
    "smolvlm": ["HuggingFaceTB/SmolVLM-256M-Instruct"],
}
# Listed in config.yaml but kept out of the test cache, to exercise "weights not downloaded".
NOT_INSTALLED = {"Qwen/Qwen3-VL-4B-Instruct"}
# SmolVLM-256M-Instruct is really an Idefics3 model (no video processor); SmolVLM2 is the `smolvlm` model type,
# whose processor owns a video processor. Built on demand only: no config.yaml entry uses it.
EXTRA_FAMILIES = ("smolvlm2",)

HIDDEN, LAYERS, HEADS, KV_HEADS = 64, 2, 4, 2
TEXT = dict(hidden_size=HIDDEN, intermediate_size=128, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
            num_key_value_heads=KV_HEADS, max_position_embeddings=4096)
CORPUS = [
    "Read all the text in this image. Output only the text, keeping the line breaks.",
    "Free OCR. Convert the document to markdown. What is the text in the image?",
    "The quick brown fox jumps over the lazy dog. 0123456789 .,:;!?()[]{}<>/\\|-_+=*&^%$#@~`'\"",
    "Водительское удостоверение. Фамилия Имя Отчество. Дата выдачи 01.02.2023",
    "You are a helpful assistant. system user assistant Assistant: User:",
]

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                 "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]


def _qwen_chat_template(default_system: bool) -> str:
    """The Qwen2-VL template (Qwen3-VL's differs mainly in having no default system message)."""
    system = ("{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant."
              "<|im_end|>\n{% endif %}") if default_system else ""
    return (
        "{% for message in messages %}" + system + "<|im_start|>{{ message['role'] }}\n"
        "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}"
        "{% for content in message['content'] %}"
        "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
        "<|vision_start|><|image_pad|><|vision_end|>"
        "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
        "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}"
        "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )


IDEFICS3_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
IDEFICS3_SPECIALS = (["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<end_of_utterance>", "<fake_token_around_image>",
                      "<image>", "<global-img>", "<video>"]
                     + [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)])


def _tokenizer(specials: list[str], *, bos=None, eos=None, pad=None, unk=None, add_bos=False, extra=None):
    """A byte-level BPE trained on CORPUS, specials first (ids 0..n-1), as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    if add_bos:  # Llama-style tokenizers put BOS in front of every encoded text.
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))])
    names = dict(bos_token=bos, eos_token=eos, pad_token=pad, unk_token=unk)
    return PreTrainedTokenizerFast(tokenizer_object=tok, extra_special_tokens=extra or {},
                                   **{k: v for k, v in names.items() if v})


def _qwen(family: str, vocab: int, tok):
    """Config, image processor kwargs and template for Qwen2-VL / Qwen2.5-VL / Qwen3-VL."""
    from transformers import Qwen2_5_VLConfig, Qwen2VLConfig, Qwen3VLConfig

    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    token_ids = dict(image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
                     vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    # Multimodal RoPE: sum(mrope_section) must be head_dim / 2 (64 / 4 heads = 16 -> 8).
    rope = {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]}
    text = dict(TEXT, vocab_size=vocab, bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                rope_parameters=rope)
    if family == "qwen2_vl":
        vision = dict(depth=2, embed_dim=32, hidden_size=HIDDEN, num_heads=2, mlp_ratio=2, patch_size=14)
        config = Qwen2VLConfig(text_config=text, vision_config=vision, **token_ids)
    elif family == "qwen2_5_vl":
        vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=HIDDEN,
                      patch_size=14, window_size=112, fullatt_block_indexes=[1])
        config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **token_ids)
    else:
        rope["mrope_interleaved"] = True
        # num_position_embeddings must be a perfect square; deepstack indexes must be below depth.
        vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=HIDDEN,
                      patch_size=16, num_position_embeddings=16, deepstack_visual_indexes=[1])
        config = Qwen3VLConfig(text_config=dict(text, head_dim=16), vision_config=vision, **token_ids)
    patch = config.vision_config.patch_size
    # The published pixel budgets: ~12.8 MP (Qwen2/2.5-VL), 16 MP (Qwen3-VL). Callers should cap max_pixels.
    image = (dict(min_pixels=56 * 56, max_pixels=28 * 28 * 16384) if family != "qwen3_vl" else
             dict(min_pixels=65536, max_pixels=16777216))
    image.update(patch_size=patch, temporal_patch_size=2, merge_size=2)
    generation = dict(bos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"],
                      eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]])
    return config, image, generation, _qwen_chat_template(default_system=family != "qwen3_vl")


def _build(family: str, extra_vocab: int):
    """(config, tokenizer, image processor, processor class, processor kwargs, generation config kwargs)."""
    if family.startswith("qwen"):
        return _qwen_parts(family, extra_vocab)
    if family == "got_ocr2":
        return _got_ocr2_parts(extra_vocab)
    if family == "deepseek_ocr2":
        return _deepseek_ocr2_parts(extra_vocab)
    if family == "florence2":
        return _florence2_parts(extra_vocab)
    if family in ("smolvlm", "smolvlm2"):
        return _smolvlm_parts(family, extra_vocab)
    raise ValueError(f"unknown family {family!r}; known: {sorted(FAMILY_REPOS) + list(EXTRA_FAMILIES)}")


def _qwen_parts(family: str, extra_vocab: int):
    import transformers as tf

    tok = _tokenizer(QWEN_SPECIALS, eos="<|im_end|>", pad="<|endoftext|>")
    config, image_kwargs, generation, template = _qwen(family, len(tok) + extra_vocab, tok)
    image = tf.Qwen2VLImageProcessorPil(**image_kwargs)
    cls = {"qwen2_vl": tf.Qwen2VLProcessor, "qwen2_5_vl": tf.Qwen2_5_VLProcessor,
           "qwen3_vl": tf.Qwen3VLProcessor}[family]
    return config, tok, image, cls, dict(chat_template=template), generation


def _got_ocr2_parts(extra_vocab: int):
    import transformers as tf

    tok = _tokenizer(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<imgpad>"],
                     eos="<|im_end|>", pad="<|endoftext|>")
    # The processor always inserts 256 image tokens: SAM sees 64x64 patches, two stride-2 convs make 16x16.
    vision = dict(hidden_size=32, output_channels=16, num_hidden_layers=2, num_attention_heads=2,
                  image_size=64, patch_size=1, window_size=8, global_attn_indexes=[], mlp_dim=64)
    config = tf.GotOcr2Config(vision_config=vision, image_token_index=tok.convert_tokens_to_ids("<imgpad>"),
                              text_config=dict(TEXT, vocab_size=len(tok) + extra_vocab, tie_word_embeddings=True),
                              tie_word_embeddings=True)
    image = tf.GotOcr2ImageProcessorPil(size={"height": 64, "width": 64})
    end = tok.convert_tokens_to_ids("<|endoftext|>")
    return config, tok, image, tf.GotOcr2Processor, {}, dict(bos_token_id=end, eos_token_id=end, pad_token_id=end)


def _deepseek_ocr2_parts(extra_vocab: int):
    import transformers as tf

    bos, eos = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
    tok = _tokenizer([bos, eos, "<image>", "<｜▁pad▁｜>"], bos=bos, eos=eos, pad="<｜▁pad▁｜>", add_bos=True)
    # Global view 64 px -> 64x64 SAM patches -> /4 = 16x16 (the 1024 px query set); tiles of 48 px -> 12x12.
    sam = dict(hidden_size=32, output_channels=16, num_hidden_layers=2, num_attention_heads=2, image_size=64,
               patch_size=1, window_size=8, global_attn_indexes=[], mlp_dim=64, downsample_channels=[32, 64])
    encoder = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2)
    text = dict(TEXT, vocab_size=len(tok) + extra_vocab, bos_token_id=0, eos_token_id=1, pad_token_id=3,
                head_dim=16, n_routed_experts=4, num_experts_per_tok=2, n_shared_experts=1,
                moe_intermediate_size=32, mlp_layer_types=["dense", "sparse"])
    config = tf.DeepseekOcr2Config(vision_config=dict(sam_config=sam, encoder_config=encoder), text_config=text,
                                   image_token_id=tok.convert_tokens_to_ids("<image>"))
    image = tf.DeepseekOcr2ImageProcessorPil(size={"height": 64, "width": 64}, tile_size=48)
    return (config, tok, image, tf.DeepseekOcr2Processor, dict(patch_size=1, downsample_ratio=4),
            dict(bos_token_id=0, eos_token_id=1, pad_token_id=3))


def _florence2_parts(extra_vocab: int):
    import transformers as tf

    tok = _tokenizer(["<s>", "<pad>", "</s>", "<unk>", "<image>", "<ocr>"] + [f"<loc_{i}>" for i in range(8)],
                     bos="<s>", eos="</s>", pad="<pad>", unk="<unk>", extra={"image_token": "<image>"})
    # DaViT: total stride 32, so 64 px -> 2x2 features, plus one pooled token = 5 image tokens.
    vision = dict(depths=[1, 1, 1, 1], embed_dim=[16, 32, 32, 64], num_heads=[1, 2, 2, 4],
                  num_groups=[1, 2, 2, 4], window_size=2, projection_dim=HIDDEN, drop_path_rate=0.0)
    text = dict(vocab_size=len(tok) + extra_vocab, d_model=HIDDEN, encoder_layers=LAYERS, decoder_layers=LAYERS,
                encoder_attention_heads=HEADS, decoder_attention_heads=HEADS, encoder_ffn_dim=128,
                decoder_ffn_dim=128, max_position_embeddings=1024, bos_token_id=0, pad_token_id=1,
                eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2)
    config = tf.Florence2Config(text_config=text, vision_config=vision,
                                image_token_id=tok.convert_tokens_to_ids("<image>"))
    image = tf.CLIPImageProcessorPil(size={"height": 64, "width": 64}, crop_size={"height": 64, "width": 64},
                                     do_center_crop=False, image_seq_length=5)
    return (config, tok, image, tf.Florence2Processor, {},
            dict(bos_token_id=0, eos_token_id=2, pad_token_id=1, decoder_start_token_id=2))


def _smolvlm_parts(family: str, extra_vocab: int):
    """SmolVLM-256M (`smolvlm`, an Idefics3 model) or SmolVLM2 (`smolvlm2`): the same sizes, different classes."""
    import transformers as tf

    tok = _tokenizer(IDEFICS3_SPECIALS, bos="<|im_start|>", eos="<end_of_utterance>", pad="<|im_end|>",
                     extra={"image_token": "<image>", "fake_image_token": "<fake_token_around_image>",
                            "global_image_token": "<global-img>", "end_of_utterance_token": "<end_of_utterance>"})
    ids = [tok.convert_tokens_to_ids(t) for t in ("<|im_start|>", "<end_of_utterance>", "<|im_end|>")]
    # 32 px tiles of 8 px patches = 16 patches; pixel shuffle by 2 -> 4 image tokens per tile.
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  image_size=32, patch_size=8)
    text = dict(TEXT, vocab_size=len(tok) + extra_vocab, bos_token_id=ids[0], eos_token_id=ids[1],
                pad_token_id=ids[2], head_dim=16)
    image_kwargs = dict(size={"longest_edge": 64}, max_image_size={"longest_edge": 32}, do_image_splitting=True)
    config_cls, image_cls, cls = ((tf.Idefics3Config, tf.Idefics3ImageProcessorPil, tf.Idefics3Processor)
                                  if family == "smolvlm" else
                                  (tf.SmolVLMConfig, tf.SmolVLMImageProcessorPil, tf.SmolVLMProcessor))
    config = config_cls(vision_config=vision, text_config=text, scale_factor=2, pad_token_id=ids[2],
                        image_token_id=tok.convert_tokens_to_ids("<image>"))
    return (config, tok, image_cls(**image_kwargs), cls, dict(image_seq_len=4, chat_template=IDEFICS3_TEMPLATE),
            dict(bos_token_id=ids[0], eos_token_id=[ids[1], ids[2]], pad_token_id=ids[2]))


def build_tiny_model(family: str, dest: Path, *, extra_vocab: int = 0) -> Path:
    """Build `family` into `dest` (created) and return it. `extra_vocab` adds unused embedding rows
    (HIDDEN * 4 bytes each, once or twice depending on tied embeddings) to reach a chosen size."""
    import torch
    from transformers import AutoModelForImageTextToText, GenerationConfig

    from backends.engines.transformers.processors import image_only

    config, tok, image, processor_class, processor_kwargs, generation = _build(family, extra_vocab)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)  # same weights on every build
    model = AutoModelForImageTextToText.from_config(config, dtype=torch.float32)
    model.generation_config = GenerationConfig(**generation)
    # Random weights would sometimes end at once on EOS, or pick ids with no text. Zeroing the output rows of the
    # special tokens and the unused extra rows makes every generation run to max_new_tokens with visible text.
    silent = sorted(set(tok.get_added_vocab().values()) | set(range(len(tok), config.get_text_config().vocab_size)))
    with torch.no_grad():
        model.get_output_embeddings().weight[silent] = 0
    model.save_pretrained(dest)
    if "video_processor" in __import__("inspect").signature(processor_class.__init__).parameters:
        # Its video processor needs torchvision; the image-only class saves under the same processor name.
        processor_class = image_only(processor_class)
    processor_class(image_processor=image, tokenizer=tok, **processor_kwargs).save_pretrained(dest)
    _legacy_processor_layout(dest)
    return dest


def _legacy_processor_layout(folder: Path) -> None:
    """Published repos keep the image processor in preprocessor_config.json, and have processor_config.json only
    for processor-level settings; transformers 5 saves both in processor_config.json. Write what the repos have."""
    processor_file = folder / "processor_config.json"
    processor = json.loads(processor_file.read_text())
    image = dict(processor.pop("image_processor"), processor_class=processor["processor_class"])
    (folder / "preprocessor_config.json").write_text(json.dumps(image, indent=2) + "\n")
    if set(processor) - {"processor_class"}:
        processor_file.write_text(json.dumps(processor, indent=2) + "\n")
    else:
        processor_file.unlink()


def install_in_hf_cache(cache_dir: Path, repo_id: str, folder: Path) -> Path:
    """Copy `folder` into the hub cache layout for `repo_id` (snapshots/<commit>/ + refs/main); return the snapshot."""
    repo = Path(cache_dir) / f"models--{repo_id.replace('/', '--')}"
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    if snapshot.exists():
        shutil.rmtree(snapshot)
    shutil.copytree(folder, snapshot)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot
