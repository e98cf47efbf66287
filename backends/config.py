"""Reading config.yaml: YAML, then the schema, then each model's engine options, all checked once, at start."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from backends.contracts.schema import ArenaConfig
from backends.registry import ENGINE_CLASSES, engine_options


class ConfigError(ValueError):
    """A config file that cannot be used. The message names the file, the entry and the field."""


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
    problems = []
    for index, entry in enumerate(config.models):
        where = f"{source}: models[{index}] (key '{entry.key}')"
        if entry.engine not in ENGINE_CLASSES:
            problems.append(f"{where}.engine: unknown engine '{entry.engine}' (engines: {', '.join(ENGINE_CLASSES)})")
            continue
        try:
            engine_options(entry)  # validated by the engine's own Options model, and kept on the entry
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"])
                problems.append(f"{where}.options.{field}: {e['msg']}")
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
