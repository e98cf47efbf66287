"""The image size a Qwen-style vision encoder actually saw, so that boxes given in its pixels map back to the page.

dots.ocr and Qwen2.5-VL answer boxes in pixels of the image after the processor's `smart_resize` (sides rounded to
a multiple of the patch factor, total pixels kept between min_pixels and max_pixels). `resize_rule_for` derives the
rule a config entry's model applied: the model's published processor defaults, overridden by what the entry's
engine options pass to the image processor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from backends.contracts.schema import ModelEntry
from backends.registry import engine_options


@dataclass(frozen=True)
class ResizeRule:
    factor: int  # patch size × spatial merge size: 14·2 for dots.ocr and Qwen2/2.5-VL, 16·2 for Qwen3-VL
    min_pixels: int
    max_pixels: int


# The published preprocessor_config.json of each model family (Hugging Face model repos):
# rednote-hilab/dots.ocr: min_pixels 3136, max_pixels 11289600, patch_size 14, merge_size 2 (the same numbers as
#   dots_ocr/utils/consts.py MIN_PIXELS, MAX_PIXELS, IMAGE_FACTOR in rednote-hilab/dots.ocr).
# Qwen/Qwen2-VL-*, Qwen/Qwen2.5-VL-*: min_pixels 3136, max_pixels 12845056, patch_size 14, merge_size 2.
# Qwen/Qwen3-VL-*: size {shortest_edge: 65536, longest_edge: 16777216}, patch_size 16, merge_size 2.
DOTS_OCR_RULE = ResizeRule(factor=28, min_pixels=3136, max_pixels=11289600)
QWEN25_VL_RULE = ResizeRule(factor=28, min_pixels=3136, max_pixels=12845056)
QWEN3_VL_RULE = ResizeRule(factor=32, min_pixels=65536, max_pixels=16777216)

MAX_ASPECT_RATIO = 200  # the processors refuse anything longer

# Substrings of a weights id (lower case) -> the family's rule; the first match wins, so "qwen2.5" before "qwen2".
_RULES_BY_WEIGHTS = (
    (("dots.ocr", "dots_ocr", "dotsocr"), DOTS_OCR_RULE),
    (("qwen3-vl", "qwen3_vl"), QWEN3_VL_RULE),
    (("qwen2.5-vl", "qwen2_5-vl", "qwen2_5_vl", "qwen2-vl", "qwen2_vl"), QWEN25_VL_RULE),
)
# Without a recognisable weights id, the reply format names the family.
_RULES_BY_FORMAT = {"dots_ocr": DOTS_OCR_RULE, "qwen25_json": QWEN25_VL_RULE, "qwen3_json": QWEN3_VL_RULE}


def smart_resize(height: int, width: int, rule: ResizeRule) -> tuple[int, int]:
    """(height, width) after the resize, as `smart_resize` in rednote-hilab/dots.ocr dots_ocr/utils/image_utils.py
    computes it. It equals transformers' Qwen2VLImageProcessor smart_resize (what the served models run) and
    QwenLM/Qwen2.5-VL qwen-vl-utils/src/qwen_vl_utils/vision_process.py smart_resize on every page wider and
    taller than `factor`; the `max(factor, ...)` guards only matter for slivers."""
    if height <= 0 or width <= 0:
        raise ValueError(f"an image of {width}×{height} px has no pixels")
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ValueError(f"aspect ratio {max(height, width) / min(height, width):.0f} is over {MAX_ASPECT_RATIO}")
    factor = rule.factor
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > rule.max_pixels:
        beta = math.sqrt(height * width / rule.max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < rule.min_pixels:
        beta = math.sqrt(rule.min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
        if h_bar * w_bar > rule.max_pixels:  # dots.ocr's order: the token cap wins over the minimum
            beta = math.sqrt(h_bar * w_bar / rule.max_pixels)
            h_bar = max(factor, math.floor(h_bar / beta / factor) * factor)
            w_bar = max(factor, math.floor(w_bar / beta / factor) * factor)
    return h_bar, w_bar


def published_rule(entry: ModelEntry) -> ResizeRule | None:
    """The model family's processor defaults, from the weights id (or, for a remote server, the served model's
    name), else from the entry's layout format; None for models that do not resize this way (DeepSeek-OCR)."""
    names = [entry.weights, entry.options.get("model")]
    for name in (str(n).lower() for n in names if n):
        for needles, rule in _RULES_BY_WEIGHTS:
            if any(needle in name for needle in needles):
                return rule
    return _RULES_BY_FORMAT.get(entry.layout_format or "")


def resize_rule_for(entry: ModelEntry) -> ResizeRule | None:
    """The rule the entry's model applied to the page: its published defaults, then the image-processor settings the
    entry's engine passes, in the order the engine applies them:
    - Transformers: the `max_pixels` / `min_pixels` options (max_pixels defaults to DEFAULT_MAX_PIXELS,
      backends/engines/transformers/engine.py), which `options.processor` overrides (setdefault there), then the
      per-call `options.inputs`;
    - vLLM: `options.mm_processor_kwargs`, which vLLM hands to the Hugging Face processor.
    A remote OpenAI-compatible server's settings are not known here: its model's published defaults apply."""
    rule = published_rule(entry)
    if rule is None:
        return None
    try:
        options = engine_options(entry)  # validated by the engine's own Options model: its defaults included
    except (KeyError, ImportError, ValueError):  # unknown engine, invalid options: the config check reports those
        return rule
    layers = ({"max_pixels": getattr(options, "max_pixels", None), "min_pixels": getattr(options, "min_pixels", None)},
              getattr(options, "processor", {}), getattr(options, "inputs", {}),
              getattr(options, "mm_processor_kwargs", {}))
    for settings in layers:
        rule = _overridden(rule, settings)
    return rule


def _overridden(rule: ResizeRule, settings: dict[str, Any]) -> ResizeRule:
    """`rule` with the pixel bounds `settings` set: min_pixels / max_pixels, or the newer processors' `size` dict
    ({"shortest_edge": min, "longest_edge": max}, which the Qwen2-VL image processor reads the same way)."""
    size = settings.get("size") if isinstance(settings.get("size"), dict) else {}
    low = settings.get("min_pixels") or size.get("shortest_edge")
    high = settings.get("max_pixels") or size.get("longest_edge")
    changes = {name: int(value) for name, value in (("min_pixels", low), ("max_pixels", high))
               if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0}
    return replace(rule, **changes) if changes else rule
