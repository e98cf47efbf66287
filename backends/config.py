"""config.yaml: the one source of truth for models and app defaults, validated at start with pydantic."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]

EngineName = Literal["tesseract", "rapidocr", "transformers", "vllm", "openai"]
Task = Literal["ocr", "layout", "chat", "fields"]


class ConfigError(ValueError):
    """A config file that cannot be used. The message names the file, the entry and the field."""


class PythonEnvironment(BaseModel):
    """A model's own interpreter: a virtual environment built by `python launch.py env KEY` from these pins."""

    model_config = ConfigDict(extra="forbid")

    path: str  # the venv folder; relative paths are under the project folder
    packages: list[str] = Field(min_length=1)  # pip requirement specifiers, e.g. "transformers==4.37.2"

    def folder(self) -> Path:
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path

    def python(self) -> Path:
        return self.folder() / "bin" / "python"


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    name: str
    engine: EngineName
    weights: str | None = None  # a Hugging Face repo id or a local folder
    endpoint: str | None = None  # the base URL of an OpenAI-compatible server
    revision: str | None = None
    trust_remote_code: bool = False
    tasks: list[Task] = ["ocr"]
    languages: list[str] = []  # the document languages the model reads, for the UI's hints
    prompts: dict[str, str] = {}
    timeout_s: float | None = Field(default=None, gt=0)
    isolate: bool = False  # run in a worker process of its own: crash isolation, and unloading frees everything
    environment: PythonEnvironment | None = None  # a separate interpreter (implies isolate)
    memory_mb: float | None = Field(default=None, gt=0)  # expected footprint; estimated from the weights if unset
    options: dict[str, Any] = {}
    notes: str = ""

    @property
    def runs_in_worker(self) -> bool:
        # vLLM in-process keeps the card until its process ends: always a worker of its own.
        in_process_vllm = self.engine == "vllm" and self.options.get("mode") == "in_process"
        return self.isolate or self.environment is not None or in_process_vllm

    @model_validator(mode="after")
    def _remote_code_needs_pinned_revision(self) -> "ModelEntry":
        # Remote code runs with the user's privileges; only a pinned revision makes it reviewable.
        if self.trust_remote_code and not self.revision:
            raise ValueError("trust_remote_code is allowed only with a pinned `revision`")
        return self


class AppSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["auto", "en", "ru"] = "auto"
    default_models: list[str] = []
    model_timeout_s: float = Field(default=300, gt=0)
    max_upload_mb: float = Field(default=50, gt=0)
    max_image_pixels: int = Field(default=60_000_000, gt=0)
    pdf_dpi: float = Field(default=200, ge=50, le=600)  # PDF pages are rendered at this resolution
    pdf_max_pages: int = Field(default=30, ge=1)  # "all pages" refuses longer PDFs (one page can still be picked)
    concurrency_limit: int = Field(default=2, ge=1)  # arena runs served at once
    # Loaded models are evicted least-recently-used to stay under this (VRAM on a GPU, RAM otherwise).
    # Unset: 90% of the GPU's memory, or 80% of the RAM available at start.
    memory_budget_mb: float | None = Field(default=None, gt=0)
    # Every benchmark run (CLI and tab) is appended here; relative paths are under the project folder.
    benchmark_history: str = "runs/benchmarks/history.sqlite"
    # Dataset folders the Benchmark tab offers besides the bundled samples (e.g. your own labelled scans).
    benchmark_datasets: list[str] = []

    def benchmark_history_path(self) -> Path:
        path = Path(self.benchmark_history).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path


class FieldSpec(BaseModel):
    """One field of a document template."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1)  # as printed on the document where it has numbers ("4a"), else a name
    label: str
    label_ru: str = ""
    hint: str = ""  # what the VLM prompt says about the field
    pattern: str | None = None  # a regex the whole value must match (a format check, shown when it fails)
    example: str = ""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            import re

            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


class DocumentTemplate(BaseModel):
    """A kind of document to pull fields out of: the fields, and the rule-based parser for OCR-only engines."""

    model_config = ConfigDict(extra="forbid")

    name: str
    name_ru: str = ""
    rules: Literal["ru_driver_license", "receipt", "key_value"]
    fields: list[FieldSpec] = []  # empty: any keys the document has (key-value forms)
    instructions: str = ""  # added to the VLM prompt


class ArenaConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app: AppSettings = AppSettings()
    models: list[ModelEntry]
    templates: dict[str, DocumentTemplate] = {}

    @field_validator("models")
    @classmethod
    def _unique_keys(cls, models: list[ModelEntry]) -> list[ModelEntry]:
        seen: set[str] = set()
        for m in models:
            if m.key in seen:
                raise ValueError(f"duplicate model key '{m.key}'")
            seen.add(m.key)
        return models

    @model_validator(mode="after")
    def _defaults_exist(self) -> "ArenaConfig":
        unknown = [k for k in self.app.default_models if k not in self.keys()]
        if unknown:
            raise ValueError(f"app.default_models names unknown models: {', '.join(unknown)}")
        return self

    def keys(self) -> list[str]:
        return [m.key for m in self.models]

    def get(self, key: str) -> ModelEntry:
        for m in self.models:
            if m.key == key:
                return m
        raise KeyError(f"no model '{key}' in the config")

    def timeout_for(self, key: str) -> float:
        return self.get(key).timeout_s or self.app.model_timeout_s


def _describe_location(raw: dict, loc: tuple) -> str:
    """Turn pydantic's ('models', 3, 'engine') into "models[3] (key 'dots_ocr') → engine"."""
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict) and "key" in node[item]:
                label += f" (key '{node[item]['key']}')"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts) or "(top level)"


def parse_config(raw: Any, source: str = "config") -> ArenaConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with `app` and `models`, got {type(raw).__name__}")
    try:
        config = ArenaConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source}: {_describe_location(raw, e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    # Engine-specific options are validated by each engine's own Options model.
    from backends.registry import validate_options

    problems = []
    for index, entry in enumerate(config.models):
        try:
            validate_options(entry)
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"])
                problems.append(f"{source}: models[{index}] (key '{entry.key}').options.{field}: {e['msg']}")
    if problems:
        raise ConfigError("\n".join(problems))
    return config


def load_config(path: str | Path) -> ArenaConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_config(raw, source=str(path))
