"""How each model family turns (image, prompt) into model inputs, and which of its output ids are new.

Most families take a chat template. The others differ in small, fixed ways:
- GOT-OCR2 has no chat template and no prompt: `processor(image)`, then stop on "<|im_end|>".
- Florence-2 is encoder-decoder and takes a task token ("<OCR>") instead of a question.
- DeepSeek-OCR-2 takes a plain prompt holding an "<image>" placeholder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from backends.contracts.requests import conversation

# Attention implementations a family is known to reject at load time (it raises a ValueError).
# The loader skips these instead of failing on them first.
KNOWN_ATTENTION_REJECTS: dict[str, frozenset[str]] = {
    "got_ocr2": frozenset({"sdpa"}),
}


@dataclass(frozen=True)
class Family:
    name: str
    default_prompt: str = "Read all the text in this image. Output only the text, keeping the line breaks."
    takes_prompt: bool = True
    encoder_decoder: bool = False
    # Processor keyword arguments that cap image tokens (Qwen's max_pixels); taken from the engine options.
    pixel_cap: bool = False
    generate_defaults: dict[str, Any] = field(default_factory=dict)
    remote_chat: bool = False  # remote code with its own chat() (GOT ucas): no generate, no streaming

    def build_inputs(self, processor, image: Image.Image, prompt: str, call_kwargs: dict,
                     history: tuple[tuple[str, str], ...] = ()) -> Any:
        """The chat template over the conversation: the image with the first question, then any later turns."""
        turns = conversation(history, prompt)
        messages = [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": turns[0][1]}]}]
        messages += [{"role": role, "content": [{"type": "text", "text": content}]} for role, content in turns[1:]]
        return processor.apply_chat_template(
            messages, tokenize=True, add_generation_prompt=True, return_dict=True, return_tensors="pt",
            **call_kwargs,
        )

    def new_tokens(self, inputs, sequences):
        """The generated ids of the single sequence: after the prompt, or after the decoder start token."""
        if self.encoder_decoder:
            return sequences[0, 1:]
        return sequences[0, inputs["input_ids"].shape[1]:]

    def generate_kwargs(self, processor) -> dict:
        return dict(self.generate_defaults)


@dataclass(frozen=True)
class GotOcr2Family(Family):
    def build_inputs(self, processor, image, prompt, call_kwargs, history=()):
        _no_conversation(self, history)
        # GOT reads the whole page with no instruction; options such as format=True go to the processor.
        return processor(image, return_tensors="pt", **call_kwargs)

    def generate_kwargs(self, processor) -> dict:
        return {"tokenizer": processor.tokenizer, "stop_strings": "<|im_end|>", **self.generate_defaults}


@dataclass(frozen=True)
class PlainPromptFamily(Family):
    """Processors called as processor(text=prompt, images=image): Florence-2 and DeepSeek-OCR-2."""

    def build_inputs(self, processor, image, prompt, call_kwargs, history=()):
        _no_conversation(self, history)
        return processor(text=prompt, images=image, return_tensors="pt", **call_kwargs)


def _no_conversation(family: Family, history) -> None:
    if history:
        raise ValueError(f"the {family.name} family has no chat template: it answers one prompt, not a conversation")


CHAT = Family("chat")
FAMILIES: dict[str, Family] = {
    "qwen2_vl": Family("qwen2_vl", pixel_cap=True),
    "qwen2_5_vl": Family("qwen2_5_vl", pixel_cap=True),
    "qwen3_vl": Family("qwen3_vl", pixel_cap=True),
    "smolvlm": Family("smolvlm"),
    "idefics3": Family("idefics3"),
    "got_ocr2": GotOcr2Family("got_ocr2", default_prompt="", takes_prompt=False),
    "florence2": PlainPromptFamily("florence2", default_prompt="<OCR>", encoder_decoder=True),
    "deepseek_ocr2": PlainPromptFamily("deepseek_ocr2", default_prompt="<image>\nFree OCR."),
    # ucaslcl/GOT-OCR2_0 (model_type "GOT"): remote code pinned to transformers 4.37.2, in its own environment.
    "GOT": Family("got_ucas", default_prompt="", takes_prompt=False, remote_chat=True),
}


def model_type(folder: Path) -> str | None:
    """The `model_type` in a model folder's config.json (cheap: no transformers import)."""
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError):
        return None


def family_for(model_type_name: str | None, configured: str | None = None) -> Family:
    """The configured family, else the one matching the model type, else a generic chat-template family."""
    name = configured or model_type_name
    if configured and configured not in FAMILIES:
        raise ValueError(f"unknown family '{configured}'; known: {', '.join(sorted(FAMILIES))}")
    return FAMILIES.get(name or "", CHAT)
