"""Running an arena: the selected models on every page of a document, their columns filling in as they stream."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import Event, ModelResult, Progress
from backends.pool import ModelPool
from core.arena_run import ArenaRun, merge_pages, page_header


class ArenaSession:
    """Drives one ArenaRun through the pool. `live` holds what each unfinished model's column shows now: its
    state, and its text so far (the pages it finished under their headers, then the page in progress).

    Pages are read one after another, every model finishing a page before the next starts; a model's result
    over several pages is merged when its last page ends."""

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
        for index, (number, image) in enumerate(self.pages):
            last_page = index + 1 == len(self.pages)
            for key, event in pool.run_many(self.selected, PageRequest(image=image, task=self.run.task)):
                self._record(key, event, number, last_page)
                yield key, event
                if self.finished == len(self.selected):
                    break
        self.run.finish(self.selected)

    def _record(self, key: str, event: Event, number: int, last_page: bool) -> None:
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
