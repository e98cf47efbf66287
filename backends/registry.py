"""Maps config entries to engine classes, imported lazily so unused engines cost nothing at start."""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from pydantic import BaseModel, ConfigDict

from backends.base import Availability, Engine
from backends.config import ModelEntry
from backends.weights import weights_availability

# engine name -> "module:Class". Engine modules import their heavy libraries inside `load`.
ENGINE_CLASSES: dict[str, str] = {
    "tesseract": "backends.tesseract:TesseractEngine",
    "rapidocr": "backends.rapid:RapidOcrEngine",
    "transformers": "backends.hf.engine:TransformersEngine",
    "openai": "backends.openai_engine:OpenAIEngine",
    "vllm": "backends.vllm.engine:VllmEngine",
}


class FreeOptions(BaseModel):
    model_config = ConfigDict(extra="allow")


def engine_class(engine: str) -> type[Engine]:
    module_name, class_name = ENGINE_CLASSES[engine].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def options_model(engine: str) -> type[BaseModel]:
    return getattr(engine_class(engine), "Options", FreeOptions)


def validate_options(entry: ModelEntry) -> BaseModel:
    return options_model(entry.engine).model_validate(entry.options)


def _missing_packages(packages: tuple[str, ...]) -> list[str]:
    return [p for p in packages if importlib.util.find_spec(p) is None]


def availability(entry: ModelEntry) -> Availability:
    """Can this model run on this machine? Cheap: no model is loaded and nothing heavy is imported."""
    if entry.environment is not None:
        # Its packages live in its own interpreter; what matters here is that the environment exists.
        from backends.environments import environment_availability

        status = environment_availability(entry)
        if not status.ok:
            return status
        return weights_availability(entry.key, entry.weights, entry.revision) if entry.weights else status
    cls = engine_class(entry.engine)
    missing = _missing_packages(getattr(cls, "requires", ()))
    if missing:
        return Availability(
            False,
            f"engine not installed: the {entry.engine} engine needs {', '.join(missing)}.",
            "See the README's 'What runs where' section.",
        )
    return cls.availability(entry)


def create_engine(entry: ModelEntry, memory_budget_mb: float | None = None) -> Engine:
    """The engine for an entry: in this process, or behind a worker process when the entry asks for one."""
    if entry.runs_in_worker:
        from backends.worker import WorkerEngine

        return WorkerEngine(entry)
    return create_local_engine(entry, memory_budget_mb)


def create_local_engine(entry: ModelEntry, memory_budget_mb: float | None = None) -> Engine:
    """The engine itself, in this process (a worker process calls this for its entry)."""
    return engine_class(entry.engine).from_entry(entry, validate_options(entry), memory_budget_mb=memory_budget_mb)


def describe(entry: ModelEntry) -> dict[str, Any]:
    status = availability(entry)
    return {"key": entry.key, "name": entry.name, "engine": entry.engine, "ready": status.ok, "status": status.message}
