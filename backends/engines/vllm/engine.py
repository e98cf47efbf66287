"""The `vllm` engine: a managed `vllm serve` per model (mode: serve), or `vllm.LLM` in a worker (mode: in_process).

Serve mode starts the server on the first request (waiting on `/health`, with progress), streams through the
OpenAI-compatible engine, and stops the server, children included, on unload and when the app exits.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib.util
import shutil
import time
from pathlib import Path
from typing import Iterator

from backends.contracts.results import Availability, MessageCode
from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.schema import ModelEntry
from backends.runtime import memory
from backends.runtime.scheduling import without_wakeup_preemption
from backends.engines.openai.engine import EndpointError, OpenAIEngine, OpenAIOptions, RequestShaping
from backends.engines.vllm.args import (VllmOptions, default_serve_command, describe_command, engine_environment, serve_command, served_model_name)
from backends.engines.vllm.environment import ENV_COMMAND, is_up_to_date, vllm_environment
from backends.engines.vllm.server import ManagedServer, exceptions_in_log, free_port
from backends.engines.vllm.shares import card_share_refusals
from backends.runtime.weights import weights_availability, weights_memory_mb

INSTALL_HINT = f"Run: {ENV_COMMAND}"


class VllmEngine(Engine):
    """Dispatches on `options.mode`; the availability check covers both modes."""

    Options = VllmOptions
    reads_weights = True

    @classmethod
    def from_entry(cls, entry: ModelEntry, options: VllmOptions, *, memory_budget_mb: float | None = None) -> Engine:
        if options.mode == "in_process":
            from backends.engines.vllm.in_process import VllmInProcessEngine

            return VllmInProcessEngine(entry, options)
        return VllmServerEngine(entry, options, memory_budget_mb=memory_budget_mb)

    @classmethod
    def availability(cls, entry: ModelEntry) -> Availability:
        options = cls.options_for(entry)
        if options.mode == "serve":
            command = options.serve_command or default_serve_command()
            if command is None:
                return Availability(False, "vLLM is not installed (its environment takes the CUDA build on a GPU "
                                           "box, vLLM's CPU build elsewhere).", INSTALL_HINT,
                                    code=MessageCode.ENGINE_MISSING)
            if shutil.which(command[0]) is None:
                return Availability(False, f"the server command '{command[0]}' (serve_command in config.yaml) "
                                           "was not found.", code=MessageCode.SERVER_MISSING)
        elif worker_python(entry) is None:
            return Availability(False, "vLLM is not installed for the in-process mode.", INSTALL_HINT,
                                code=MessageCode.ENGINE_MISSING)
        uses_environment = options.mode == "in_process" or options.serve_command is None
        if uses_environment and environment_outdated():
            return Availability(False, f"the vLLM environment ({vllm_environment()}) is out of date with its "
                                       "requirements file.", INSTALL_HINT,
                                code=MessageCode.ENV_STALE)
        return weights_availability(entry.key, entry.weights, entry.revision)

    @classmethod
    def installed(cls, entry: ModelEntry) -> tuple[bool, str]:
        # vLLM lives in its own environment (envs/vllm) or on PATH, not necessarily in this interpreter.
        options = cls.options_for(entry)
        found = worker_python(entry) if options.mode == "in_process" else (options.serve_command
                                                                          or default_serve_command())
        return found is not None, "" if found else "missing vllm"

    @classmethod
    def needs_worker(cls, entry: ModelEntry) -> bool:
        # vLLM in-process keeps the card until its process ends: always a worker of its own.
        return cls.options_for(entry).mode == "in_process"

    @classmethod
    def worker_python(cls, entry: ModelEntry) -> Path | None:
        return worker_python(entry)

    @classmethod
    def expected_memory_mb(cls, entry: ModelEntry, on_gpu: bool) -> float | None:
        options = cls.options_for(entry)
        card = memory.cuda_total_mb() if on_gpu else None
        if card:  # vLLM reserves its share of the card at start, whatever the weights weigh
            return options.gpu_memory_utilization * card
        return weights_memory_mb(entry.weights, entry.revision, options.dtype, on_gpu) if entry.weights else None

    @classmethod
    def selection_refusals(cls, entries: list[ModelEntry], on_gpu: bool) -> dict[str, str]:
        # Each model reserves its share of the card at start; on a CPU there is no card to share.
        if not on_gpu:
            return {}
        return card_share_refusals(entries)


def worker_python(entry: ModelEntry) -> Path | None:
    """The interpreter that can import vLLM: the arena's vLLM environment, else this one; None if neither can."""
    import sys

    in_environment = vllm_environment() / "bin" / "python"
    if in_environment.exists():
        return in_environment
    return Path(sys.executable) if importlib.util.find_spec("vllm") is not None else None


def environment_outdated() -> bool:
    """The arena's vLLM environment exists but was built from other pins (or its build did not finish)."""
    folder = vllm_environment()
    return (folder / "bin" / "python").exists() and not is_up_to_date(folder)


def request_options(options: VllmOptions) -> OpenAIOptions:
    """The HTTP client's options: the same request shaping, the server's read timeout."""
    shaping = {name: getattr(options, name) for name in RequestShaping.model_fields}
    return OpenAIOptions(**shaping, read_timeout_s=options.read_timeout_s, connect_retries=0)


class VllmServerEngine(Engine):
    parallel_requests = True  # the server batches concurrent requests

    def __init__(self, entry: ModelEntry, options: VllmOptions, memory_budget_mb: float | None = None):
        super().__init__(entry.key, options)
        self.entry = entry
        self.on_gpu = memory.cuda_total_mb() is not None
        self.memory_budget_mb = memory_budget_mb or memory.memory_budget_mb(None)
        self.server: ManagedServer | None = None
        self.client: OpenAIEngine | None = None
        self._progress = ""
        self._startup_s: float | None = None
        self._engine_dead = False

    def load(self) -> None:
        options = self.options
        port = options.port or free_port(options.host)
        command = serve_command(self.entry, options, port, on_cpu=not self.on_gpu)
        self.server = ManagedServer(self.key, command, host=options.host, port=port,
                                    env=engine_environment(options, self.on_gpu, self.memory_budget_mb))
        self._progress = f"starting: {describe_command(command)}"
        self.server.start()
        atexit.register(self.unload)  # a normal exit stops the server too; the guard covers the rest
        try:
            self._startup_s = self.server.wait_until_healthy(options.startup_timeout_s, self._set_progress)
        except Exception:
            self.unload()
            raise
        self.client = OpenAIEngine(self.key, request_options(options), endpoint=f"{self.server.base_url}/v1",
                                   model=served_model_name(self.entry), prompts=self.entry.prompts)
        self.client.load()

    def _set_progress(self, message: str) -> None:
        self._progress = message

    def load_progress(self) -> str:
        return self._progress

    def stream(self, request: PageRequest) -> Iterator[str | EngineOutput]:
        assert self.client is not None and self.server is not None, "stream() before load()"
        log_offset = self.server.log_size()
        # On a CPU the server computes on the cores this thread wakes on for every chunk: it must not preempt it.
        with contextlib.nullcontext() if self.on_gpu else without_wakeup_preemption():
            try:
                yield from self._stream(request)
            except EndpointError as exc:
                raise EndpointError(f"{exc}{self._engine_death(log_offset)}") from None

    def _engine_death(self, log_offset: int) -> str:
        """Why vLLM's engine died on this request, from what the server logged since it began (vLLM answers such
        a request with an error inside a 200 stream, and later ones with 500s): the root cause for the column."""
        time.sleep(0.5)  # the engine's last words reach the log just after the response
        errors = exceptions_in_log(self.server.log_text(log_offset)) if self.server is not None else []
        if not any("EngineDead" in error or "EngineCore" in error for error in errors):
            return ""
        self._engine_dead = True  # the API server lingers a while: the next request starts a fresh server
        return (f". vLLM's engine died on this request: {errors[0][:300]}"
                f" (the server's log: {self.server.log_path})")

    def _stream(self, request: PageRequest) -> Iterator[str | EngineOutput]:
        for item in self.client.stream(request):
            if isinstance(item, EngineOutput):
                details = item.extra.setdefault("details", {})
                details["server"] = f"managed vllm serve, pid {self.server.pid}, {self.server.base_url}"
                details["server log"] = str(self.server.log_path)
                if self._startup_s is not None:
                    details["server start"] = f"{self._startup_s:.1f} s to healthy"
                if "kv_cache_tokens" in self.server.facts:
                    details["KV cache"] = f"{self.server.facts['kv_cache_tokens']:,.0f} tokens"
                item.extra["memory_mb"] = self.server.recent_memory_readings(self.options.gpu_memory_utilization)
            yield item

    def healthy(self) -> bool:
        return self.server is not None and self.server.alive() and not self._engine_dead

    def unload(self) -> None:
        atexit.unregister(self.unload)
        if self.client is not None:
            self.client.unload()
            self.client = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    def process_readings(self) -> dict[str, float]:
        return {} if self.server is None else self.server.memory_readings(self.options.gpu_memory_utilization)

    def memory_mb(self) -> float | None:
        """What counts against the memory budget: the card share vLLM reserves, or the servers' RSS on a CPU."""
        if self.server is None:
            return None
        readings = self.server.memory_readings(self.options.gpu_memory_utilization)
        return (readings.get("vLLM reservation (gpu_memory_utilization × card)")
                or readings.get("RSS (server processes)"))

