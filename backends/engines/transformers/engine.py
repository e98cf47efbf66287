"""The Transformers engine: any native image-text-to-text model, loaded the way its family needs.

One engine instance holds one model on one device. `stream` yields text as tokens are generated and
ends with an EngineOutput carrying token counts, timings, labelled memory figures and the details
shown in the column (device, dtype, attention, processor).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from backends.runtime import memory
from backends.contracts.results import Availability
from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.engines.transformers import families, generation
from backends.engines.transformers.loading import TRANSFORMERS_LOCK
from backends.runtime.weights import local_weights_dir, weights_availability, weights_memory_mb

# Qwen's default max_pixels (~12.8 MP) turns a full page into ~16k image tokens. 1280 patches of 28×28
# (vLLM's example value, ~1 MP) keeps print legible at a fraction of the cost.
DEFAULT_MAX_PIXELS = 1280 * 28 * 28


class TransformersOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: str | None = None  # detected from config.json's model_type when unset
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    attention: Literal["auto", "flash_attention_2", "sdpa", "eager"] = "auto"
    max_new_tokens: int = Field(default=2048, ge=1)
    max_pixels: int | None = Field(default=DEFAULT_MAX_PIXELS, gt=0)  # families with a pixel cap (Qwen)
    min_pixels: int | None = Field(default=None, gt=0)
    repetition_window: int = Field(default=64, ge=0)  # stop on a loop filling this many tokens; 0 disables
    processor: dict[str, Any] = {}  # extra AutoProcessor.from_pretrained arguments
    inputs: dict[str, Any] = {}  # extra processor call arguments (GOT: format: true)
    generate: dict[str, Any] = {}  # extra generate() arguments


class TransformersEngine(Engine):
    Options = TransformersOptions
    requires = ("torch", "transformers")
    reads_weights = True

    def __init__(self, key: str, options: TransformersOptions, *, weights: str, revision: str | None = None,
                 trust_remote_code: bool = False, prompts: dict[str, str] | None = None,
                 stream_timeout_s: float | None = None):
        super().__init__(key, options)
        self.weights = weights
        self.revision = revision
        self.trust_remote_code = trust_remote_code
        self.prompts = prompts or {}
        self.stream_timeout_s = stream_timeout_s
        self.model = None
        self.processor = None
        self.family: families.Family | None = None
        self.details: dict[str, str] = {}
        self._weights_mb: dict[str, float] = {}
        self._cancel = threading.Event()
        self._generate_thread = None  # a single-worker executor, started with the model

    @classmethod
    def from_entry(cls, entry, options: TransformersOptions, *, memory_budget_mb: float | None = None) -> "TransformersEngine":
        return cls(entry.key, options, weights=entry.weights, revision=entry.revision,
                   trust_remote_code=entry.trust_remote_code, prompts=entry.prompts,
                   stream_timeout_s=entry.timeout_s)

    @classmethod
    def availability(cls, entry) -> Availability:
        return weights_availability(entry.key, entry.weights, entry.revision)

    @classmethod
    def shares_cpu_cores(cls, entry, on_gpu: bool) -> bool:
        device = cls.options_for(entry).device
        return device == "cpu" or (device == "auto" and not on_gpu)

    @classmethod
    def expected_memory_mb(cls, entry, on_gpu: bool) -> float | None:
        options = cls.options_for(entry)
        on_gpu = on_gpu and options.device != "cpu"  # pinned to the CPU even where a GPU is
        return weights_memory_mb(entry.weights, entry.revision, options.dtype, on_gpu) if entry.weights else None

    # ----- lifecycle -----
    def load(self) -> None:
        with TRANSFORMERS_LOCK:  # several models ticked together load in turn, imports included
            self._load()

    def _load(self) -> None:
        from transformers import StoppingCriteria, TextIteratorStreamer  # noqa: F401  (generation's, imported now)

        from backends.engines.transformers.loading import load_model, resolve_placement
        from backends.engines.transformers.processors import load_processor

        folder = local_weights_dir(self.weights, self.revision)
        self.family = families.family_for(families.model_type(folder) if folder else None, self.options.family)
        placement = resolve_placement(self.options.device, self.options.dtype)
        if self.family.remote_chat:
            self._load_remote_chat(placement)
            return
        processor_kwargs = dict(self.options.processor)
        if self.family.pixel_cap:
            for name in ("max_pixels", "min_pixels"):
                if getattr(self.options, name) is not None:
                    processor_kwargs.setdefault(name, getattr(self.options, name))
        self.processor = load_processor(self.weights, revision=self.revision,
                                        trust_remote_code=self.trust_remote_code, **processor_kwargs)
        self.model, attention = load_model(
            self.weights, revision=self.revision, trust_remote_code=self.trust_remote_code, placement=placement,
            attention=self.options.attention,
            family_rejects=families.KNOWN_ATTENTION_REJECTS.get(self.family.name, frozenset()),
        )
        self.details = {
            "device": f"{placement.device} · {placement.dtype_name}",
            "attention": attention.describe(),
            "family": self.family.name,
            "processor": type(self.processor).__name__,
        }
        self._weights_mb = self._measure_weights(placement.device)
        self._generate_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"generate-{self.key}")

    def _load_remote_chat(self, placement) -> None:
        from backends.engines.transformers.remote_chat import load_got_ucas

        self.model, self.processor = load_got_ucas(self.weights, revision=self.revision, device=placement.device,
                                                   dtype_name=placement.dtype_name)
        self.details = {"device": f"{placement.device} · {placement.dtype_name}",
                        "attention": "the model's own remote code", "family": self.family.name}
        self._weights_mb = self._measure_weights(placement.device)

    def _output_details(self, cut_reason: str | None) -> dict[str, str]:
        import torch

        details = dict(self.details)
        if self.model.device.type == "cpu":
            details["CPU threads"] = str(torch.get_num_threads())  # the share of the cores this run had
        if cut_reason:
            details["cut"] = cut_reason
        return details

    def _stream_remote_chat(self, request: PageRequest) -> Iterator[str | EngineOutput]:
        from backends.engines.transformers.remote_chat import run_got_chat

        with memory.CudaRequestTracker() as tracker:
            text = run_got_chat(self.model, self.processor, request.image, self.options.inputs)
        yield text
        yield EngineOutput(text=text, output_tokens=len(self.processor(text).input_ids),
                           extra={"memory_mb": {**self._weights_mb, **tracker.readings()}, "details": self.details})

    def _measure_weights(self, device: str) -> dict[str, float]:
        # The model's own tensors, not the allocator's total: other models share this process and its allocator.
        tensors = [*self.model.parameters(), *self.model.buffers()]
        size = sum(t.numel() * t.element_size() for t in tensors if t.device.type != "meta") / 2**20
        if device.startswith("cuda"):
            return {memory.CUDA_WEIGHTS: round(size, 1)}
        return {"weights (parameters in RAM)": round(size, 1)}

    def memory_mb(self) -> float | None:
        return next(iter(self._weights_mb.values()), None)

    def cancel(self) -> None:
        self._cancel.set()

    def unload(self) -> None:
        # Drop every reference, then give the memory back: gc for Python cycles, empty_cache for CUDA blocks.
        import gc

        if self._generate_thread is not None:
            self._generate_thread.shutdown(wait=False, cancel_futures=True)
            self._generate_thread = None
        self.model = self.processor = None
        gc.collect()
        memory.empty_cuda_cache()

    # ----- requests -----
    def prompt_for(self, request: PageRequest) -> str:
        return request.prompt or self.prompts.get(request.task) or self.family.default_prompt

    def stream(self, request: PageRequest) -> Iterator[str | EngineOutput]:
        import torch

        if self.family.remote_chat:
            yield from self._stream_remote_chat(request)
            return
        self._cancel.clear()
        if request.cpu_threads and self.model.device.type == "cpu":
            torch.set_num_threads(request.cpu_threads)  # the pool's share of the cores while others run too
        family, processor = self.family, self.processor
        state = generation.GenerationState()
        with TRANSFORMERS_LOCK:  # a first chat template or processor call can import more of transformers
            inputs = family.build_inputs(processor, request.image.convert("RGB"), self.prompt_for(request),
                                         dict(self.options.inputs), request.history)
        inputs = inputs.to(self.model.device, dtype=self.model.dtype)  # casts only the float tensors (pixels)
        preprocess_s = time.perf_counter() - state.started
        prompt_length = 1 if family.encoder_decoder else inputs["input_ids"].shape[1]
        tokenizer = processor.tokenizer
        streamer = generation.make_streamer(tokenizer, state, self.stream_timeout_s)
        guard = generation.make_stopping_criterion(state, prompt_length, self.options.repetition_window, self._cancel)
        generate_kwargs = {
            "max_new_tokens": self.options.max_new_tokens,
            "do_sample": False,
            **family.generate_kwargs(processor),
            **self.options.generate,
            "stopping_criteria": [guard],
        }
        with memory.CudaRequestTracker() as tracker:
            yield from generation.stream_generate(self.model, dict(inputs), generate_kwargs, streamer, state,
                                                  self._cancel, self._generate_thread)
        if state.error is not None:
            raise state.error
        if state.cancelled:
            raise RuntimeError("generation was cancelled")
        sequences = state.output if isinstance(state.output, torch.Tensor) else state.output.sequences
        new_ids = family.new_tokens(inputs, sequences).tolist()
        output_tokens = len(new_ids)
        cut_reason = None
        if state.loop_period is not None:
            new_ids = generation.trim_repetition(new_ids, state.loop_period)
            cut_reason = f"stopped a loop repeating every {state.loop_period} tokens"
        elif output_tokens >= self.options.max_new_tokens:
            cut_reason = f"reached max_new_tokens ({self.options.max_new_tokens})"
        text = tokenizer.decode(new_ids, skip_special_tokens=True)
        yield EngineOutput(
            text=text,
            output_tokens=output_tokens,
            cut=cut_reason is not None,
            extra={
                "memory_mb": {**self._weights_mb, **tracker.readings()},
                "details": self._output_details(cut_reason),
                "first_token_s": state.first_token_s,
                "preprocess_s": preprocess_s,
                "input_tokens": int(inputs["input_ids"].shape[1]),
            },
        )
