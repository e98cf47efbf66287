"""A served app's upkeep: its file caches within the config's limits, and the sessions Gradio would keep forever.

Gradio keeps a session's state (`SessionState`: its own copy of every component's config, the values last sent to
it, its gr.State values) until 10 000 sessions exist; a closed page's gr.State values go after an hour, the rest
stays. Here a session is forgotten once its page has been closed for CLOSED_SESSION_KEEP_S, or once it has been
idle for the cache age limit (by then its files are gone too). The files an open page shows are what Gradio last
sent to it, read from that same session state, and the cache sweep spares them (core/cache_limits.py).
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import gradio as gr

from backends.pool import ModelPool
from core.cache_limits import CacheKeeper, CacheLimits, SweepResult
from core.exports import ExportFolder

# A closed page (its heartbeat gone) whose session comes back within this long finds its state; Gradio's own wait
# is an hour. Only a dropped connection comes back (a reload starts a new session), and it does within seconds.
# A closed page holds about 2 MB (its component configs and gr.State values, the last run's page image among
# them): the soak's 16 reviewers a round, kept ten minutes, made RSS climb 30 MB a round for ten minutes.
CLOSED_SESSION_KEEP_S = 60.0
SWEEP_EVERY_S = 60.0


class ServerUpkeep:
    """Sweeps the app's caches and forgets finished sessions, every SWEEP_EVERY_S seconds from `start` to `stop`."""

    def __init__(self, blocks: gr.Blocks, exports: ExportFolder, pool: ModelPool, every_s: float = SWEEP_EVERY_S):
        self.blocks = blocks
        self.exports = exports
        self.pool = pool
        settings = pool.config.app
        self.idle_session_s = settings.cache_max_age_h * 3600
        self.keeper = CacheKeeper(CacheLimits.from_settings(settings.cache_max_age_h, settings.cache_max_mb),
                                  self.folders, on_screen=self.files_on_screen, keep=self.files_kept,
                                  after_sweep=self._after_sweep, every_s=every_s)

    def start(self) -> None:
        self.keeper.start()

    def stop(self) -> None:
        self.keeper.stop()

    def sweep_now(self, now: float | None = None) -> SweepResult:
        """One sweep of the caches (and of the sessions) now; `now` (epoch seconds) stands in for the clock."""
        return self.keeper.sweep_now(now)

    def folders(self) -> list[Path]:
        """Gradio's cache (uploads and outputs) and the run exports."""
        return _distinct([Path(self.blocks.GRADIO_CACHE), self.exports.root])

    def files_on_screen(self) -> set[Path]:
        """Every file in the values Gradio last sent to an open page (inputs included: the upload)."""
        paths: set[Path] = set()
        for session in list(self._sessions().values()):
            if session.is_closed:
                continue
            for config in list(session.config_values.values()):
                props = config.get("props") if isinstance(config, dict) else None
                if isinstance(props, dict):
                    _collect_paths(props.get("value"), paths)
        return paths

    def files_kept(self) -> set[Path]:
        """Files Gradio itself keeps for good: the examples' copies in its cache."""
        return {Path(os.path.realpath(path)) for block in list(self.blocks.blocks.values())
                for path in list(getattr(block, "keep_in_cache", ()))}

    def forget_finished_sessions(self, now: datetime.datetime | None = None) -> int:
        """Drop the sessions closed longer than CLOSED_SESSION_KEEP_S or idle longer than the age limit;
        returns how many went. Their gr.State values get their delete callbacks, as Gradio's own expiry does."""
        holder = getattr(self.blocks, "state_holder", None)
        if holder is None:  # not launched
            return 0
        now = now or datetime.datetime.now()
        finished = []
        for session_id, last_used in list(holder.time_last_used.items()):
            session = holder.session_data.get(session_id)
            limit = CLOSED_SESSION_KEEP_S if session is None or session.is_closed else self.idle_session_s
            if (now - last_used).total_seconds() > limit:
                finished.append(session_id)
        for session_id in finished:
            holder.delete_state(session_id)
            with holder.lock:
                holder.session_data.pop(session_id, None)
                holder.time_last_used.pop(session_id, None)
        return len(finished)

    def _sessions(self) -> dict[str, Any]:
        holder = getattr(self.blocks, "state_holder", None)
        return holder.session_data if holder is not None else {}

    def _after_sweep(self, result: SweepResult) -> None:
        # Gradio lists the files it made in sets it prunes only when its own delete_cache removes them.
        for files in self.blocks.temp_file_sets:
            files.difference_update([path for path in list(files) if not os.path.lexists(path)])
        self.forget_finished_sessions()
        self.pool.give_back_free_memory()  # what the forgotten sessions and the last minute's runs freed


def _collect_paths(value: Any, into: set[Path]) -> None:
    """The `path` of every file payload (a dict with a path and a url or meta) inside a component value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            path = item.get("path")
            if isinstance(path, str) and ("url" in item or "meta" in item or "orig_name" in item):
                into.add(Path(os.path.realpath(path)))
            stack.extend(list(item.values()))  # a snapshot: Gradio may update the dict meanwhile
        elif isinstance(item, (list, tuple)):
            stack.extend(list(item))


def _distinct(folders: list[Path]) -> list[Path]:
    seen, kept = set(), []
    for folder in folders:
        key = os.path.realpath(folder)
        if key not in seen:
            seen.add(key)
            kept.append(Path(key))
    return kept
