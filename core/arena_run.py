"""One arena run: the results of every selected model on one document, scored, tabulated and exported."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from backends.contracts.results import Metrics, ModelResult, Status
from core.exports import write_table_and_record
from core.layout.reading import LAYOUT_COLUMNS
from core.metrics import score

ARENA_TASKS = ("ocr", "layout")  # what one image and no question can ask of every model


@dataclass
class ArenaRun:
    document: str
    ground_truth: str = ""
    task: str = "ocr"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    results: dict[str, ModelResult] = field(default_factory=dict)  # per model; for several pages, merged over them
    page_results: dict[int, dict[str, ModelResult]] = field(default_factory=dict)  # page number -> per model
    # A Layout run on a page with layout ground truth: each model's layout columns (core/layout/reading.py).
    layout_scores: dict[str, dict[str, float | None]] = field(default_factory=dict)
    _scores: dict[str, dict[str, float]] = field(default_factory=dict, init=False, repr=False, compare=False)
    # A Layout run's replies as plain text (markup stripped), so that they are scored as text, not as JSON.
    _read_texts: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def pages(self) -> list[int]:
        return sorted(self.page_results)

    @property
    def has_truth(self) -> bool:
        return bool(self.ground_truth.strip())

    def scores(self, key: str) -> dict[str, float] | None:
        """CER (plain and with look-alikes folded), WER, NED and word F1 against the ground truth (the benchmark's metric code), for a model with output.
        Computed once per model: the table, the charts and both exports read the same figures."""
        result = self.results.get(key)
        if not self.has_truth or result is None or result.status != Status.OK:
            return None
        if key not in self._scores:
            self._scores[key] = score(self.ground_truth, self.scored_text(key))
        return self._scores[key]

    def finish(self, order: list[str]) -> None:
        """The run is complete: results (each page's too) in the order the models were selected, scores
        computed afresh. Models finish their pages at their own pace, so arrival order says nothing."""
        self.results = {k: self.results[k] for k in order if k in self.results}
        self.page_results = {n: {k: page[k] for k in order if k in page}
                             for n, page in sorted(self.page_results.items())}
        self._scores.clear()

    def score_as_text(self, texts: dict[str, str]) -> None:
        """Score these models on the given texts (a layout reply's page text) instead of their raw replies."""
        self._read_texts = dict(texts)
        self._scores.clear()

    def scored_text(self, key: str) -> str:
        """What is scored: the model's text read as plain text, or its pages' texts without their headers."""
        if key in self._read_texts:
            return self._read_texts[key]
        if len(self.pages) > 1:
            return "\n".join(self.page_results[n][key].text for n in self.pages if key in self.page_results[n])
        return self.results[key].text

    def rows(self, page: int | None = None) -> list[dict]:
        """One flat record per model, in a language-neutral schema (the CSV and JSON exports use it).
        With `page`, that page's own results (scored only when the document has one page)."""
        rows = []
        results = self.results if page is None else self.page_results[page]
        for key, r in results.items():
            m = r.metrics
            s = (self.scores(key) if page is None or len(self.pages) == 1 else None) or {}
            rows.append({
                "page": page if page is not None else _page_label(self.pages),
                "model": r.name,
                "key": key,
                "status": r.status.value,
                "cut": r.cut,
                "load_s": _round(m.load_s),
                "warm": m.warm,
                "latency_s": _round(m.latency_s),
                "first_token_s": _round(m.first_token_s),
                "output_tokens": m.output_tokens,
                "tokens_per_s": _round(m.tokens_per_s, 1),
                "chars": m.chars,
                "lines": len(r.boxes),
                "memory_mb": m.footprint_mb,  # the model's own, not the app's RSS that in-process models share
                "memory_label": m.footprint_label or None,
                "cer": _round(s.get("cer"), 4),
                "cer_folded": _round(s.get("cer_folded"), 4),  # look-alike letters folded (core/metrics.py)
                "wer": _round(s.get("wer"), 4),
                "ned": _round(s.get("ned"), 4),
                "word_f1": _round(s.get("word_f1"), 4),
                "message": r.message,
                "code": r.code,  # why it failed, for a translated summary (backends/contracts/results.MessageCode)
            })
            if self.layout_scores and (page is None or len(self.pages) == 1):
                layout = self.layout_scores.get(key, {})
                rows[-1].update({column: _round(layout.get(column), 4) for column in LAYOUT_COLUMNS})
        return rows

    def _models_json(self, page: int | None = None) -> list[dict]:
        results = self.results if page is None else self.page_results[page]
        return [{**row, "text": results[row["key"]].text,
                 "memory_mb": results[row["key"]].metrics.memory_mb,
                 "input_tokens": results[row["key"]].metrics.input_tokens,
                 "details": results[row["key"]].details,
                 "boxes": [asdict(b) for b in results[row["key"]].boxes]}
                for row in self.rows(page)]

    def to_json(self) -> dict:
        record = {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "document": self.document,
            "task": self.task,
            "pages": self.pages,
            "ground_truth": self.ground_truth or None,
            "models": self._models_json(),
        }
        if len(self.pages) > 1:
            record["page_results"] = [{"page": n, "models": self._models_json(n)} for n in self.pages]
        return record

    def export(self, folder: Path) -> list[str]:
        """Write the CSV (per model; with several pages, each page's rows too) and the JSON; returns their paths."""
        rows = self.rows() + ([r for n in self.pages for r in self.rows(n)] if len(self.pages) > 1 else [])
        return write_table_and_record(folder, f"arena-{self.run_id}", rows, self.to_json())


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _page_label(pages: list[int]) -> str:
    if not pages:
        return ""
    return str(pages[0]) if len(pages) == 1 else f"{pages[0]}-{pages[-1]}"


def page_header(page: int, pages: int) -> str:
    """The line that opens each page's text when several pages are read."""
    return f"--- {page}/{pages} ---"


def merge_pages(key: str, name: str, per_page: list[tuple[int, ModelResult]], pages: int) -> ModelResult:
    """One model's results over several pages as one: texts under page headers, times and sizes summed.

    A single page is returned as it is. Any page that did not succeed makes the whole result take its status,
    with the page named in the message; the pages that did succeed keep their text.
    """
    if len(per_page) == 1:
        return per_page[0][1]
    failed = [(n, r) for n, r in per_page if r.status != Status.OK]
    status = failed[0][1].status if failed else Status.OK
    if len(failed) == len(per_page) and len({r.message for _, r in failed}) == 1:
        message = failed[0][1].message  # every page failed alike (an unavailable model): said once
    else:
        message = "; ".join(f"page {n}: {r.message}" for n, r in failed)
    # Page headers over no text at all would fill an empty text box: a model that read nothing has no text.
    text = "\n\n".join(f"{page_header(n, pages)}\n{r.text}" for n, r in per_page) if any(
        r.text for _, r in per_page) else ""
    metrics = Metrics(
        load_s=sum(r.metrics.load_s or 0.0 for _, r in per_page),
        warm=per_page[0][1].metrics.warm,
        latency_s=sum(r.metrics.latency_s or 0.0 for _, r in per_page),
        first_token_s=per_page[0][1].metrics.first_token_s,
        chars=sum(r.metrics.chars for _, r in per_page),
    )
    tokens = [r.metrics.output_tokens for _, r in per_page]
    if all(t is not None for t in tokens):
        metrics.output_tokens = sum(tokens)
        metrics.tokens_per_s = metrics.output_tokens / metrics.latency_s if metrics.latency_s else None
    for _, r in per_page:
        for label, value in r.metrics.memory_mb.items():
            metrics.memory_mb[label] = max(metrics.memory_mb.get(label, 0.0), value)
        if r.metrics.footprint_mb is not None and r.metrics.footprint_mb >= (metrics.footprint_mb or 0.0):
            metrics.footprint_label, metrics.footprint_mb = r.metrics.footprint_label, r.metrics.footprint_mb
    details = {k: v for _, r in per_page for k, v in r.details.items()}
    code = failed[0][1].code if failed else ""  # the first failure's summary; the message names every page
    return ModelResult(key, name, status, text=text, message=message, code=code, cut=any(r.cut for _, r in per_page),
                       metrics=metrics, details=details)
