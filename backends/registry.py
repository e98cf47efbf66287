"""The one list of engines, and what the rest of the arena asks of an engine through it.

Engine modules are imported lazily, by name, so an engine nobody uses costs nothing at start. Everything engine
specific (its options, packages, memory, worker needs, checks on a selection) comes from the engine class's hooks
on `backends.contracts.engine.Engine`; nothing outside an engine's folder names an engine.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from backends.contracts.engine import Engine
from backends.contracts.results import Availability, MessageCode
from backends.contracts.schema import ModelEntry
from backends.runtime import memory
from backends.runtime.environments import environment_availability
from backends.runtime.weights import weights_availability

# engine name (the `engine:` value in config.yaml) -> "module:Class".
ENGINE_CLASSES: dict[str, str] = {
    "tesseract": "backends.engines.tesseract.engine:TesseractEngine",
    "rapidocr": "backends.engines.rapidocr.engine:RapidOcrEngine",
    "transformers": "backends.engines.transformers.engine:TransformersEngine",
    "openai": "backends.engines.openai.engine:OpenAIEngine",
    "vllm": "backends.engines.vllm.engine:VllmEngine",
}


def engine_class(engine: str) -> type[Engine]:
    module_name, class_name = ENGINE_CLASSES[engine].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def engine_options(entry: ModelEntry) -> Any:
    """The entry's options as its engine's Options model: validated once, then kept on the entry."""
    return engine_class(entry.engine).options_for(entry)


def runs_in_worker(entry: ModelEntry, on_gpu: bool | None = None) -> bool:
    """A worker process of its own: implied by an environment, needed by the engine, asked for (isolate), or,
    when the entry does not say, chosen for models that compute on the CPU cores (see Engine.shares_cpu_cores)."""
    engine = engine_class(entry.engine)
    if entry.environment is not None or engine.needs_worker(entry):
        return True
    if entry.isolate is not None:
        return entry.isolate
    return engine.shares_cpu_cores(entry, memory.cuda_total_mb() is not None if on_gpu is None else on_gpu)


def shares_cpu_cores(entry: ModelEntry, on_gpu: bool) -> bool:
    return engine_class(entry.engine).shares_cpu_cores(entry, on_gpu)


def reads_weights(entry: ModelEntry) -> bool:
    """Does this model load weights of its own (something to download, a footprint to estimate)?"""
    return bool(entry.weights) and engine_class(entry.engine).reads_weights


def _missing_packages(packages: tuple[str, ...]) -> list[str]:
    return [p for p in packages if importlib.util.find_spec(p) is None]


def availability(entry: ModelEntry) -> Availability:
    """Can this model run on this machine? Cheap: no model is loaded and nothing heavy is imported."""
    if entry.environment is not None:
        # Its packages live in its own interpreter; what matters here is that the environment exists.
        status = environment_availability(entry)
        if not status.ok:
            return status
        return weights_availability(entry.key, entry.weights, entry.revision) if entry.weights else status
    cls = engine_class(entry.engine)
    missing = _missing_packages(cls.requires)
    if missing:
        return Availability(
            False,
            f"engine not installed: the {entry.engine} engine needs {', '.join(missing)}.",
            "See the README's 'What runs where' section.",
            code=MessageCode.ENGINE_MISSING,
        )
    return cls.availability(entry)


def installed(entry: ModelEntry) -> tuple[bool, str]:
    """(installed, note): the engine's software in this interpreter, or the model's own environment ("env")."""
    if entry.environment is not None:
        return environment_availability(entry).ok, "env"
    cls = engine_class(entry.engine)
    missing = _missing_packages(cls.requires)
    if missing:
        return False, "missing " + ", ".join(missing)
    return cls.installed(entry)


def expected_memory_mb(entry: ModelEntry, on_gpu: bool) -> float | None:
    """What the model is expected to take once loaded: `memory_mb` from the config, else the engine's estimate
    (from its weight files, or what it reserves); None when it cannot be told."""
    if entry.memory_mb:
        return float(entry.memory_mb)
    return engine_class(entry.engine).expected_memory_mb(entry, on_gpu)


def selection_refusals(entries: list[ModelEntry], on_gpu: bool) -> dict[str, str]:
    """Model key -> why it cannot run beside the others selected with it (each engine checks its own)."""
    refusals: dict[str, str] = {}
    for engine in dict.fromkeys(e.engine for e in entries):
        refusals.update(engine_class(engine).selection_refusals([e for e in entries if e.engine == engine], on_gpu))
    return refusals


def worker_python(entry: ModelEntry) -> Path | None:
    """The interpreter a worker for this entry runs on: its environment's, else the engine's choice."""
    if entry.environment is not None:
        return entry.environment.python()
    return engine_class(entry.engine).worker_python(entry)


def create_engine(entry: ModelEntry, memory_budget_mb: float | None = None, on_gpu: bool | None = None) -> Engine:
    """The engine for an entry: in this process, or behind a worker process when the entry needs one."""
    on_gpu = memory.cuda_total_mb() is not None if on_gpu is None else on_gpu
    if runs_in_worker(entry, on_gpu):
        from backends.runtime.worker.parent import WorkerEngine

        # Threads that spin while they wait would steal the cores from the other models running beside it.
        quiet = {"OMP_WAIT_POLICY": "PASSIVE"} if shares_cpu_cores(entry, on_gpu) else None
        return WorkerEngine(entry, worker_python(entry), env_defaults=quiet)
    return create_local_engine(entry, memory_budget_mb)


def create_local_engine(entry: ModelEntry, memory_budget_mb: float | None = None) -> Engine:
    """The engine itself, in this process (a worker process calls this for its entry)."""
    return engine_class(entry.engine).from_entry(entry, engine_options(entry), memory_budget_mb=memory_budget_mb)
