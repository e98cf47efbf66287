"""Finding a model by the key a user typed, with one message for a key the config lacks."""
from __future__ import annotations

import sys

from backends.contracts.schema import ArenaConfig, ModelEntry


def find_model(config: ArenaConfig, key: str) -> ModelEntry | None:
    """The entry for `key`, or None after telling the user which keys exist."""
    try:
        return config.get(key)
    except KeyError:
        print(f"{key}: no such model in the config. Known keys: {', '.join(config.keys())}", file=sys.stderr)
        return None
