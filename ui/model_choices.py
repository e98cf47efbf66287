"""What every model selector offers: each model marked ready (✓), not ready with a short reason (✗), or not for
the selector's task (–), ready ones first; the defaults that can run now; and when the marks are redrawn.

Gradio cannot disable a single choice, so the marks live in the (label, key) choices and the order groups them.
The full reasons stay in the arena's "Model status" table; a label carries only a short, translated summary.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable

import gradio as gr
from gradio.context import Context

from backends.contracts.schema import ModelEntry
from backends.pool import ModelPool
from ui.i18n import text
from ui.messages import summary

READY, NOT_READY, OTHER_TASK = "✓", "✗", "–"


def fits(entry: ModelEntry, tasks: Iterable[str]) -> bool:
    """Whether the model offers any of the selector's tasks."""
    return any(task in entry.tasks for task in tasks)


def labelled_choices(pool: ModelPool, lang: str, tasks: Iterable[str], unfit: str = "mc_other_task"
                     ) -> list[tuple[str, str]]:
    """(label, key) for every model: ready first, then not ready (with why), then those not for these tasks
    (labelled with the string `unfit`), each group in config order."""
    lang = lang if lang != "auto" else "en"
    tasks = tuple(tasks)
    ready, not_ready, other = [], [], []
    for entry in pool.config.models:
        if not fits(entry, tasks):
            other.append((f"{OTHER_TASK} {entry.name} — {text(lang, unfit)}", entry.key))
            continue
        status = pool.availability(entry.key)
        if status.ok:
            ready.append((f"{READY} {entry.name}", entry.key))
        else:
            not_ready.append((f"{NOT_READY} {entry.name} — {summary(lang, status.code)}", entry.key))
    return ready + not_ready + other


def runnable(pool: ModelPool, keys: Iterable[str], tasks: Iterable[str]) -> list[str]:
    """The keys, in order, of models that offer one of the tasks and can run now."""
    tasks = tuple(tasks)
    return [k for k in keys if (entry := pool.config.find(k)) is not None and fits(entry, tasks)
            and pool.availability(k).ok]


def default_models(pool: ModelPool, wanted: Iterable[str], tasks: Iterable[str]) -> list[str]:
    """The configured defaults that can run now; if none can, the first model that can (or nothing)."""
    tasks = tuple(tasks)
    chosen = runnable(pool, wanted, tasks)
    return chosen or runnable(pool, pool.config.keys(), tasks)[:1]


def default_model(pool: ModelPool, preferred: Iterable[str], fallback: Iterable[str]) -> str:
    """One model for a single-model selector: the first ready one offering a `preferred` task, else one offering a
    `fallback` task, else the first configured (then marked ✗ in the list)."""
    keys = pool.config.keys()
    found = runnable(pool, keys, preferred) or runnable(pool, keys, fallback) or keys
    return found[0]


# ----- when the marks are redrawn -----
class StatusSignal:
    """The app's "model status may have changed" signal: a per-session State whose change redraws every selector.
    The app makes one and hands it to every tab; create it inside the Blocks being built."""

    def __init__(self):
        self.state = gr.State(0)

    def announce(self, event) -> None:
        """After `event` (a run, an unload, a refresh), tell every selector to redraw its marks."""
        event.then(time.monotonic_ns, outputs=[self.state], api_visibility="private")

    def redraw(self, fn: Callable, inputs: list, outputs: list) -> None:
        """Redraw with `fn` when the page loads (in the browser's language) and whenever the signal changes."""
        Context.root_block.load(fn, inputs=inputs, outputs=outputs, api_visibility="private")
        self.state.change(fn, inputs=inputs, outputs=outputs, api_visibility="private")
