"""Keeping the app's file caches (uploads, outputs, exports) within an age and a size limit.

Gradio keeps every upload and every output file, and its own `delete_cache` only deletes by age, only the files
it tracks, and never by size. This sweeps whole folders instead, with three rules:
- a file older than the age limit goes, on screen or not (a page left open that long loses its downloads);
- while the rest is over the size limit, the oldest files go first, except the files still on screen;
- nothing younger than the grace period goes for size: a fresh upload may still wait in the queue for its run,
  and a fresh output may not have reached the browser yet. So for a few minutes after a burst the folders may
  hold more than the size limit, rather than a run failing on a file swept from under it.
Files the caller keeps (Gradio's example files) are never removed.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

# Ten minutes: the arena's queue holds 64 runs served two at a time, so an upload can wait minutes for its run
# (a model's load included), and a run's files are fetched right after it ends.
GRACE_S = 600.0


@dataclass(frozen=True)
class CacheLimits:
    max_age_s: float
    max_bytes: int
    grace_s: float = GRACE_S

    @classmethod
    def from_settings(cls, max_age_h: float, max_mb: float, grace_s: float = GRACE_S) -> "CacheLimits":
        return cls(max_age_s=max_age_h * 3600, max_bytes=int(max_mb * 2**20), grace_s=grace_s)


@dataclass(frozen=True)
class CachedFile:
    path: Path
    size: int
    created: float  # the inode's change time: a copy or a rename (Gradio's cache writes) counts as new


@dataclass(frozen=True)
class SweepResult:
    removed: list[Path]
    removed_bytes: int
    kept_files: int
    kept_bytes: int


def cached_files(folders: Iterable[Path]) -> list[CachedFile]:
    """Every regular file under `folders` (symlinks are neither followed nor counted)."""
    found = []
    for folder in folders:
        for root, _, names in os.walk(os.path.realpath(folder)):  # real paths, as callers name files on screen
            for name in names:
                path = Path(root) / name
                try:
                    info = path.lstat()
                except FileNotFoundError:  # removed by its owner meanwhile
                    continue
                if path.is_symlink():
                    continue
                found.append(CachedFile(path, info.st_size, max(info.st_ctime, info.st_mtime)))
    return found


def choose_evictions(files: list[CachedFile], limits: CacheLimits, now: float, *,
                     on_screen: set[Path] = frozenset(), keep: set[Path] = frozenset()) -> list[CachedFile]:
    """The files to remove under the rules above, the expired ones first, then the oldest first."""
    candidates = [f for f in files if f.path not in keep]
    expired = [f for f in candidates if now - f.created > limits.max_age_s]
    gone = {f.path for f in expired}
    total = sum(f.size for f in files if f.path not in gone)
    for_size = []
    evictable = sorted((f for f in candidates if f.path not in gone and f.path not in on_screen
                        and now - f.created >= limits.grace_s), key=lambda f: f.created)
    for file in evictable:
        if total <= limits.max_bytes:
            break
        for_size.append(file)
        total -= file.size
    return expired + for_size


def sweep(folders: list[Path], limits: CacheLimits, *, now: float | None = None, on_screen: set[Path] = frozenset(),
          keep: set[Path] = frozenset()) -> SweepResult:
    """Remove what `choose_evictions` picks under `folders`, and the folders that leaves empty (not the roots)."""
    files = cached_files(folders)
    chosen = choose_evictions(files, limits, time.time() if now is None else now, on_screen=on_screen, keep=keep)
    removed = []
    for file in chosen:
        try:
            file.path.unlink(missing_ok=True)
        except OSError:  # not ours to remove (permissions): it stays, and is counted as kept
            continue
        removed.append(file)
    _remove_empty_parents([f.path for f in removed], folders)
    removed_bytes = sum(f.size for f in removed)
    return SweepResult([f.path for f in removed], removed_bytes, len(files) - len(removed),
                       sum(f.size for f in files) - removed_bytes)


def _remove_empty_parents(removed: list[Path], roots: list[Path]) -> None:
    # Gradio keeps each file in a folder named by its hash; an emptied one would stay forever.
    real_roots = {Path(os.path.realpath(root)) for root in roots}
    for parent in {path.parent for path in removed}:
        while parent not in real_roots and any(root in parent.parents for root in real_roots):
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): leave it
                break
            parent = parent.parent


class CacheKeeper:
    """Sweeps on a daemon thread every `every_s` seconds until `stop`. Each sweep asks `folders`, `on_screen` and
    `keep` afresh, so it sees the sessions and files of that moment."""

    def __init__(self, limits: CacheLimits, folders: Callable[[], list[Path]], *,
                 on_screen: Callable[[], set[Path]] = frozenset, keep: Callable[[], set[Path]] = frozenset,
                 after_sweep: Callable[[SweepResult], None] | None = None, every_s: float = 60.0):
        self.limits = limits
        self._folders, self._on_screen, self._keep, self._after = folders, on_screen, keep, after_sweep
        self.every_s = every_s
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep_now(self, now: float | None = None) -> SweepResult:
        result = sweep([f for f in self._folders() if f.is_dir()], self.limits, now=now,
                       on_screen=self._on_screen(), keep=self._keep())
        if self._after is not None:
            self._after(result)
        return result

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="cache-keeper", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stopped.wait(self.every_s):
            try:
                self.sweep_now()
            except Exception as exc:  # housekeeping must never take the server down; say it and try again later
                print(f"cache housekeeping failed: {type(exc).__name__}: {exc}", flush=True)
