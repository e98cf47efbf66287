"""Running an arena: the selected models on every page of a document, their columns filling in as they stream."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Event, ModelResult, Progress
from backends.pool import ModelPool
from core.arena_run import ArenaRun, merge_pages, page_header
from core.page_pipelines import run_pipelines


class ArenaSession:
    """Drives one ArenaRun through the pool. `live` holds what each unfinished model's column shows now: its
    state, and its text so far (the pages it finished under their headers, then the page in progress).

    Each model reads the pages in order at its own pace (core/page_pipelines.py): a fast model's column is
    complete while a slow one is still reading. A model's result over several pages is merged when its last
    page ends."""

    def __init__(self, run: ArenaRun, selected: list[str], pages: list[tuple[int, Image.Image]]):
        self.run = run
        self.selected = selected
        self.pages = pages
        self.live: dict[str, Progress] = {k: Progress(k, "queued") for k in selected}
        self._done_text = {k: "" for k in selected}

    @property
    def finished(self) -> int:
        return len(self.run.results)

    def events(self, pool: ModelPool) -> Iterator[tuple[str, Event]]:
        """Every model's events as they come; when the iteration ends, the run holds every result, scored."""
        # One request per page, shared by every model (its image is encoded once for them all).
        requests = [dict.fromkeys(self.selected, PageRequest(image=image, task=self.run.task))
                    for _, image in self.pages]
        for key, index, event in run_pipelines(pool, self.selected, requests):
            self._record(key, event, index)
            yield key, event
        self.run.finish(self.selected)

    def _record(self, key: str, event: Event, index: int) -> None:
        number, last_page = self.pages[index][0], index + 1 == len(self.pages)
        header = f"{page_header(number, len(self.pages))}\n" if len(self.pages) > 1 else ""
        if isinstance(event, Progress):
            self.live[key] = replace(event, text=self._done_text[key] + header + event.text)
            return
        self.run.page_results.setdefault(number, {})[key] = event
        self._done_text[key] += f"{header}{event.text}\n\n" if header else event.text
        if last_page:
            self.run.results[key] = self._merged(key, event)
        else:
            self.live[key] = Progress(key, "running", self._done_text[key])

    def _merged(self, key: str, last: ModelResult) -> ModelResult:
        per_page = [(n, self.run.page_results[n][key]) for n, _ in self.pages]
        return merge_pages(key, last.name, per_page, len(self.pages))
