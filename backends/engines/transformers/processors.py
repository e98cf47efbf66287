"""Load a model's processor, also on a CPU machine without torchvision.

Processors that also own a video processor (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, SmolVLM2, ...) cannot be built by
`AutoProcessor` without torchvision: the video processor needs it. Images do not, so we fall back to an
"image-only" subclass of the family's processor class that has no `video_processor`.
"""
from __future__ import annotations

import functools
import inspect
import json
import logging
import types
from pathlib import Path

log = logging.getLogger(__name__)

# Where a saved model names its processor class, in the order AutoProcessor reads them.
_CONFIG_FILES = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")


def load_processor(source: str, *, revision: str | None = None, trust_remote_code: bool = False,
                   **processor_kwargs):
    """The processor for `source` (a repo id or a folder); `processor_kwargs` reach the processor
    and its image processor (e.g. Qwen's `max_pixels`, `min_pixels`)."""
    from transformers import AutoProcessor

    try:
        return AutoProcessor.from_pretrained(
            source, revision=revision, trust_remote_code=trust_remote_code, **processor_kwargs)
    except (ImportError, OSError) as error:
        # A missing repo is an OSError too: re-raise it unless an image-only processor applies.
        processor_class = _library_processor_class(source, revision)
        if processor_class is None or "video_processor" not in inspect.signature(processor_class.__init__).parameters:
            raise
        log.warning("%s: %s cannot load its video processor (%s: %s); loading it image-only.",
                    source, processor_class.__name__, type(error).__name__, error)
        return image_only(processor_class).from_pretrained(source, revision=revision, **processor_kwargs)


@functools.cache
def image_only(processor_class: type) -> type:
    """`processor_class` without its video processor. Same class name, so it saves as the original class.
    Build it with keyword arguments: positions after `tokenizer` differ from the parent's."""
    parent = processor_class.__init__
    params = list(inspect.signature(parent).parameters.values())
    # A copy of the parent's __init__, not a wrapper: transformers reads the names of its code's arguments
    # (from_args_and_dict) and its signature (which sub-processors to load and save). Every argument gets a
    # default so that `video_processor` may be left out; the None reaching ProcessorMixin is then dropped.
    init = types.FunctionType(parent.__code__, parent.__globals__, parent.__name__, None, parent.__closure__)
    init.__defaults__ = tuple(None if p.default is p.empty else p.default
                              for p in params[1:] if p.kind is p.POSITIONAL_OR_KEYWORD)
    init.__kwdefaults__ = parent.__kwdefaults__
    init.__signature__ = inspect.Signature([p for p in params if p.name != "video_processor"])
    return type(processor_class.__name__, (processor_class,), {
        "__init__": init,
        "__module__": processor_class.__module__,
        "__qualname__": processor_class.__qualname__,
        "__doc__": processor_class.__doc__,
        "video_processor": _NoVideoProcessor(),
        "image_only": True,
    })


class _NoVideoProcessor:
    """Stands in for the missing video processor: its settings read as None (some processors read defaults from
    it even for images), and video input fails with a clear message."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def __call__(self, *args, **kwargs):
        raise ValueError("video input needs torchvision, which is not installed; this processor is image-only.")


def _library_processor_class(source: str, revision: str | None) -> type | None:
    """The transformers processor class that `source` names, or None (not found, or remote code)."""
    from transformers import AutoConfig
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING_NAMES, processor_class_from_name
    from transformers.utils import cached_file

    try:
        for filename in _CONFIG_FILES:
            path = cached_file(source, filename, revision=revision, _raise_exceptions_for_missing_entries=False,
                               _raise_exceptions_for_connection_errors=False)
            if path and (name := json.loads(Path(path).read_text(encoding="utf-8")).get("processor_class")):
                break
        else:
            name = PROCESSOR_MAPPING_NAMES.get(AutoConfig.from_pretrained(source, revision=revision).model_type)
    except (OSError, ValueError):
        return None
    found = processor_class_from_name(name) if isinstance(name, str) else None
    return found if isinstance(found, type) and found.__module__.startswith("transformers.") else None
