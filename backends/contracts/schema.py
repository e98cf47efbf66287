"""The schema of config.yaml: models, app defaults and document templates. Engine options are validated by each
engine's own Options model when the file is read (backends/config.py)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = PROJECT_ROOT / "samples"

Task = Literal["ocr", "layout", "chat", "fields"]
# How a model's `layout` reply is written, i.e. which parser in core/layout/parsers reads it. The names live here,
# with the schema, so that a config is checked without importing core; core's parser table is keyed by exactly
# these (a test holds the two together).
LayoutFormat = Literal["dots_ocr", "deepseek_grounding", "qwen25_json", "qwen3_json", "markdown"]


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
    engine: str  # a name in backends.registry.ENGINE_CLASSES, checked when the config is read
    weights: str | None = None  # a Hugging Face repo id or a local folder
    endpoint: str | None = None  # the base URL of an OpenAI-compatible server
    revision: str | None = None
    trust_remote_code: bool = False
    tasks: list[Task] = ["ocr"]
    languages: list[str] = []  # the document languages the model reads, for the UI's hints
    prompts: dict[str, str] = {}
    layout_format: LayoutFormat | None = None  # unset: a layout reply is read as plain Markdown
    timeout_s: float | None = Field(default=None, gt=0)
    # A worker process of its own: crash isolation, and unloading frees everything. Unset: the engine decides
    # (Transformers on the CPU: yes, so that models running side by side do not contend for one interpreter).
    isolate: bool | None = None
    environment: PythonEnvironment | None = None  # a separate interpreter (implies isolate)
    memory_mb: float | None = Field(default=None, gt=0)  # expected footprint; estimated from the weights if unset
    options: dict[str, Any] = {}
    notes: str = ""

    # The options as the engine's own Options model, validated once (see engine_options), and what they were
    # validated from: a copy of the entry that changes its options (model_copy(update=...)) validates again.
    _engine_options: BaseModel | None = PrivateAttr(default=None)
    _validated_from: dict[str, Any] | None = PrivateAttr(default=None)

    def engine_options(self, model: type[BaseModel]) -> BaseModel:
        """`options` validated by `model` (the engine's Options), on first use; later calls reuse the result."""
        if not isinstance(self._engine_options, model) or self._validated_from != self.options:
            self._engine_options = model.model_validate(self.options)
            self._validated_from = copy.deepcopy(self.options)
        return self._engine_options

    @model_validator(mode="after")
    def _remote_code_needs_pinned_revision(self) -> "ModelEntry":
        # Remote code runs with the user's privileges; only a pinned revision makes it reviewable.
        if self.trust_remote_code and not self.revision:
            raise ValueError("trust_remote_code is allowed only with a pinned `revision`")
        return self

    @model_validator(mode="after")
    def _layout_format_needs_layout_task(self) -> "ModelEntry":
        # A format with no layout task to use it is a typo'd or forgotten task list.
        if self.layout_format and "layout" not in self.tasks:
            raise ValueError(f"layout_format '{self.layout_format}' is set, but `layout` is not among the tasks")
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
    # Blind battles: the dataset folders "random document" draws from (unset: the bundled samples), the models
    # that may be drawn (unset: every model), where votes are kept, and each reviewer's votes per hour.
    battle_documents: list[str] = []
    battle_models: list[str] = []
    votes_db: str = "runs/battles/votes.sqlite"
    battle_votes_per_hour: int = Field(default=120, ge=1)
    # Chat: how many models answer one question side by side, and the turns each conversation may hold.
    chat_max_side_by_side: int = Field(default=4, ge=1, le=8)
    chat_max_turns: int = Field(default=20, ge=1)
    # Uploads, output files and run exports on disk: a file older than cache_max_age_h is deleted, and past
    # cache_max_mb the oldest go first, sparing the files an open page shows and anything under 10 minutes old.
    # A page idle longer than cache_max_age_h also loses its server-side state.
    cache_max_age_h: float = Field(default=24, gt=0)
    cache_max_mb: float = Field(default=1000, gt=0)

    def benchmark_history_path(self) -> Path:
        return project_path(self.benchmark_history)

    def votes_db_path(self) -> Path:
        return project_path(self.votes_db)

    def battle_document_folders(self) -> list[Path]:
        if self.battle_documents:
            return [project_path(folder) for folder in self.battle_documents]
        return [folder for folder in sorted(SAMPLES.iterdir()) if (folder / "manifest.csv").is_file()]


def project_path(path: str) -> Path:
    """A path from config.yaml: relative ones are under the project folder."""
    expanded = Path(path).expanduser()
    return expanded if expanded.is_absolute() else PROJECT_ROOT / expanded


class FieldSpec(BaseModel):
    """One field of a document template."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1)  # as printed on the document where it has numbers ("4a"), else a name
    label: str
    label_ru: str = ""
    hint: str = ""  # what the VLM prompt says about the field
    pattern: str | None = None  # a regex the whole value must match (a format check, shown when it fails)
    example: str = ""
    # The script the value is written in: look-alike letters of the other script are put back in it, shown as
    # a correction (core/fields/scripts.py). "cyrillic_then_latin": a Cyrillic part, then its transliteration.
    script: Literal["cyrillic", "latin", "cyrillic_then_latin"] | None = None

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
        for field in ("default_models", "battle_models"):
            unknown = [k for k in getattr(self.app, field) if k not in self.keys()]
            if unknown:
                raise ValueError(f"app.{field} names unknown models: {', '.join(unknown)}")
        return self

    # key -> entry, built on first lookup: the pool looks a model up on every request.
    _by_key: dict[str, ModelEntry] = PrivateAttr(default_factory=dict)

    def keys(self) -> list[str]:
        return [m.key for m in self.models]

    def find(self, key: str) -> ModelEntry | None:
        if len(self._by_key) != len(self.models):
            self._by_key = {m.key: m for m in self.models}
        entry = self._by_key.get(key)
        return entry if entry is not None and entry.key == key else None

    def get(self, key: str) -> ModelEntry:
        entry = self.find(key)
        if entry is None:
            raise KeyError(f"no model '{key}' in the config")
        return entry

    def timeout_for(self, key: str) -> float:
        return self.get(key).timeout_s or self.app.model_timeout_s
