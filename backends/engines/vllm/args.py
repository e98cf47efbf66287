"""What the vLLM engines build from a config entry: the `vllm serve` command line, `LLM(...)` engine args,
`SamplingParams` and the chat messages. Pure functions of the config, tested without vLLM installed.

The same option means the same thing in both modes, e.g. `enable_prefix_caching: false` becomes
`--no-enable-prefix-caching` for the server and `enable_prefix_caching=False` for `LLM`.
"""
from __future__ import annotations

import json
import shutil
from typing import Any, Literal

from pydantic import Field

from backends.contracts.schema import ModelEntry
from backends.engines.openai.engine import RequestShaping, chat_messages
from backends.engines.vllm.environment import vllm_environment


class VllmOptions(RequestShaping):
    mode: Literal["serve", "in_process"] = "serve"
    # Engine settings (both modes)
    gpu_memory_utilization: float = Field(default=0.3, gt=0, le=1)  # this model's share of the card, reserved up front
    max_model_len: int | None = Field(default=None, ge=1)
    limit_mm_per_prompt: dict[str, int] = {"image": 1}
    mm_processor_kwargs: dict[str, Any] = {}  # e.g. Qwen's {"max_pixels": 1003520}
    logits_processors: list[str] = []  # "module:Class", e.g. DeepSeek-OCR's n-gram processor
    enable_prefix_caching: bool | None = None  # None: vLLM's default
    mm_processor_cache_gb: float | None = Field(default=None, ge=0)
    tensor_parallel_size: int = Field(default=1, ge=1)
    dtype: str | None = None
    # vLLM's CPU build: the KV cache space in whole GiB (VLLM_CPU_KVCACHE_SPACE). Unset: a tenth of the memory
    # budget, between 1 and 8 GiB. Ignored on a GPU, where gpu_memory_utilization sizes it.
    cpu_kv_cache_gb: int | None = Field(default=None, ge=1)
    # `vllm serve` only
    serve_command: list[str] | None = None  # default: envs/vllm/bin/vllm serve, else `vllm serve` on PATH
    extra_args: list[str] = []  # more `vllm serve` flags, passed as they are
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)  # None: a free port
    startup_timeout_s: float = Field(default=900, gt=0)  # first starts compile kernels and can take minutes
    read_timeout_s: float = Field(default=300, gt=0)


def served_model_name(entry: ModelEntry) -> str:
    """`vllm serve` names the model after its `model` argument unless told otherwise; so do we."""
    return entry.weights or entry.key


def default_serve_command() -> list[str] | None:
    """`vllm serve` from the arena's vLLM environment, else from PATH; None when vLLM is not installed."""
    in_environment = vllm_environment() / "bin" / "vllm"
    if in_environment.exists():
        return [str(in_environment), "serve"]
    found = shutil.which("vllm")
    return [found, "serve"] if found else None


def cpu_has_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); unknown counts as yes."""
    try:
        flags = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return True
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_settings(options: VllmOptions) -> dict[str, Any]:
    """What vLLM's CPU build needs on top of the entry. The multimodal memory profile runs the vision encoder on
    the largest dummy images (minutes on a CPU, for full-size encoders like DeepSeek-OCR's) only to size a GPU's
    KV cache, which VLLM_CPU_KVCACHE_SPACE fixes here. Without bfloat16 instructions vLLM emulates bfloat16 about
    five times slower than float32, so such CPUs run float32 unless the entry sets a dtype."""
    settings: dict[str, Any] = {"skip_mm_profiling": True}
    if options.dtype is None and not cpu_has_bfloat16():
        settings["dtype"] = "float32"
    return settings


def serve_command(entry: ModelEntry, options: VllmOptions, port: int, on_cpu: bool = False) -> list[str]:
    # Without vLLM here the command is still worth printing: it may be meant for another machine.
    base = options.serve_command or default_serve_command() or ["vllm", "serve"]
    command = [*base, served_model_name(entry), "--host", options.host, "--port", str(port),
               "--gpu-memory-utilization", f"{options.gpu_memory_utilization:g}"]
    if entry.revision:
        command += ["--revision", entry.revision]
    if entry.trust_remote_code:
        command.append("--trust-remote-code")
    if options.max_model_len:
        command += ["--max-model-len", str(options.max_model_len)]
    if options.limit_mm_per_prompt:
        command += ["--limit-mm-per-prompt", json.dumps(options.limit_mm_per_prompt)]
    if options.mm_processor_kwargs:
        command += ["--mm-processor-kwargs", json.dumps(options.mm_processor_kwargs)]
    if options.logits_processors:
        command += ["--logits-processors", *options.logits_processors]
    if options.enable_prefix_caching is not None:
        command.append("--enable-prefix-caching" if options.enable_prefix_caching else "--no-enable-prefix-caching")
    if options.mm_processor_cache_gb is not None:
        command += ["--mm-processor-cache-gb", f"{options.mm_processor_cache_gb:g}"]
    if options.tensor_parallel_size > 1:
        command += ["--tensor-parallel-size", str(options.tensor_parallel_size)]
    if options.dtype:
        command += ["--dtype", options.dtype]
    if on_cpu:
        settings = cpu_settings(options)
        command += ["--skip-mm-profiling"] + (["--dtype", settings["dtype"]] if "dtype" in settings else [])
    return command + options.extra_args  # last, so that they can override anything above


def cpu_kv_cache_gib(options: VllmOptions, memory_budget_mb: float) -> int:
    """Whole GiB: vLLM reads the variable as an integer."""
    if options.cpu_kv_cache_gb is not None:
        return options.cpu_kv_cache_gb
    return int(min(8, max(1, memory_budget_mb / 1024 / 10)))


def engine_environment(options: VllmOptions, on_gpu: bool, memory_budget_mb: float) -> dict[str, str]:
    """Variables for vLLM's process: on a CPU, the KV cache space it reserves (unset, vLLM's CPU build takes
    several GB even for a tiny model), and OpenMP threads that sleep when they wait rather than spin: the server's
    threads are pinned to the cores the app's own threads also run on, and a spinning thread burns the core its
    partner needs (benchmarks/scripts/bench_concurrency_vllm.py: at 16 in flight the server's CPU seconds for the
    same requests went from 7.5 to 16 in some rounds; with passive waits they stayed at 8)."""
    if on_gpu:
        return {}
    return {"VLLM_CPU_KVCACHE_SPACE": str(cpu_kv_cache_gib(options, memory_budget_mb)), "OMP_WAIT_POLICY": "PASSIVE"}


def engine_args(entry: ModelEntry, options: VllmOptions, on_cpu: bool = False) -> dict[str, Any]:
    """Keyword arguments for `vllm.LLM`. Logits processors stay "module:Class" strings: vLLM resolves them."""
    args: dict[str, Any] = {
        "model": served_model_name(entry),
        "gpu_memory_utilization": options.gpu_memory_utilization,
        "limit_mm_per_prompt": options.limit_mm_per_prompt,
        "trust_remote_code": entry.trust_remote_code,
        "tensor_parallel_size": options.tensor_parallel_size,
    }
    optional = {
        "revision": entry.revision,
        "max_model_len": options.max_model_len,
        "mm_processor_kwargs": options.mm_processor_kwargs or None,
        "logits_processors": options.logits_processors or None,
        "enable_prefix_caching": options.enable_prefix_caching,
        "mm_processor_cache_gb": options.mm_processor_cache_gb,
        "dtype": options.dtype,
    }
    return args | {k: v for k, v in optional.items() if v is not None} | (cpu_settings(options) if on_cpu else {})


def sampling_params_kwargs(options: VllmOptions) -> dict[str, Any]:
    """Keyword arguments for `vllm.SamplingParams`, from the same options the HTTP request uses:
    `extra_body.vllm_xargs` becomes `extra_args`, and other `extra_body` keys are SamplingParams fields."""
    kwargs: dict[str, Any] = {"temperature": options.temperature, "max_tokens": options.max_tokens}
    if options.top_p is not None:
        kwargs["top_p"] = options.top_p
    for name, value in options.extra_body.items():
        kwargs["extra_args" if name == "vllm_xargs" else name] = value
    return kwargs


def request_messages(options: VllmOptions, prompt: str, image_url: str,
                     history: tuple[tuple[str, str], ...] = ()) -> list[dict[str, Any]]:
    """The chat messages for `LLM.chat`, the same ones the server receives over HTTP."""
    return chat_messages(image_url, prompt, history, options.prompt_prefix)


def describe_command(command: list[str]) -> str:
    """A command line a user can paste into a shell."""
    import shlex

    return " ".join(shlex.quote(part) for part in command)

