"""Running a benchmark: every model on every dataset item, through the same pool the arena uses.

Models run one after another (never two at once), so their timings and memory peaks are their own. For each
model: optional warm-up runs on the first item (not recorded), then each item `repeats` times. A failure (the
model's error, a timeout, an unreadable image, a bad manifest row) becomes that item's error row and the run goes on.
With a concurrency sweep (`LoadSettings`), each model then serves the dataset again at each level, with that many
requests in flight (benchmarks/load.py), before the next model starts.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from core.documents import DocumentError, load_image, render_pdf_page
from backends.pool import ModelPool
from backends.contracts.results import ModelResult
from core import metrics
from core.dataset import Dataset, DatasetItem
from core.layout.reading import layout_columns, layout_truth, read_layout
from core.layout.scoring import score_layout
from benchmarks.load import Job, LevelRun, LoadSettings, run_level
from benchmarks.report_strings import words
from benchmarks.trackers import MemoryTracker, SpeedTracker, describe

ProgressCallback = Callable[[int, int, str], None]  # (steps done, steps in all, what is running)


@dataclass(frozen=True)
class BenchmarkSettings:
    repeats: int = 1
    warmup: int = 0
    limit: int | None = None
    task: str = "ocr"
    pdf_dpi: float = 200
    normalization: metrics.Normalization = metrics.Normalization()

    def __post_init__(self):
        if self.repeats < 1 or self.warmup < 0 or (self.limit is not None and self.limit < 1):
            raise ValueError("repeats must be at least 1, warmup at least 0, and limit at least 1")


@dataclass
class BenchmarkRun:
    dataset: Dataset
    settings: BenchmarkSettings
    models: list[str]
    run_id: str = field(default_factory=lambda: datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:4])
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    rows: list[dict] = field(default_factory=list)  # one per (model, item); see ItemRecorder.row
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (model key, item id) -> output text
    runs: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # each repeat's timings
    memory_labels: dict[str, str] = field(default_factory=dict)  # results column -> what the figure counts
    wall_s: float = 0.0  # the one-at-a-time passes (a concurrency sweep's time is load_wall_s)
    warmup_engine_s: float = 0.0
    load: LoadSettings | None = None  # the concurrency sweep, if one was asked for
    levels: list[LevelRun] = field(default_factory=list)  # one per model and level, in the order they ran
    load_skipped: dict[str, str] = field(default_factory=dict)  # model key -> why it was not swept
    load_wall_s: float = 0.0

    @property
    def engine_s(self) -> float:
        """The time the engines themselves took (load + latency of every recorded and warm-up request)."""
        return sum(r["engine_s"] for runs in self.runs.values() for r in runs) + self.warmup_engine_s


class Steps:
    """Progress through the run: steps done of all, reported with what is running (in `lang`'s words)."""

    def __init__(self, total: int, report: ProgressCallback | None, lang: str = "en"):
        self.done, self.total = 0, total
        self._report = report or (lambda *_: None)
        self.lang = lang

    def words(self, key: str, **values) -> str:
        return words(self.lang, key).format(**values)

    def show(self, description: str) -> None:
        self._report(self.done, self.total, description)

    def advance(self, steps: int = 1) -> None:
        self.done += steps


def run_benchmark(pool: ModelPool, models: list[str], dataset: Dataset, settings: BenchmarkSettings = BenchmarkSettings(),
                  on_progress: ProgressCallback | None = None, load: LoadSettings | None = None,
                  lang: str = "en") -> BenchmarkRun:
    """Each model over the dataset one page at a time; with `load`, then its concurrency sweep while it is warm.
    `on_progress` is told what runs in `lang`."""
    dataset = dataset.limited(settings.limit)
    run = BenchmarkRun(dataset, settings, list(dict.fromkeys(models)), load=load)
    steps_per_model = settings.warmup + len(dataset.items) * settings.repeats
    sweep_steps = len(load.levels) * len(dataset.items) * settings.repeats if load else 0
    steps = Steps((steps_per_model + sweep_steps) * len(run.models), on_progress, lang)
    started = time.perf_counter()
    for key in run.models:
        was_loaded = key in pool.loaded_keys()
        _run_model(pool, run, key, steps)
        if load:
            sweep_started = time.perf_counter()
            _sweep_model(pool, run, key, steps)
            run.load_wall_s += time.perf_counter() - sweep_started
        if not was_loaded:
            pool.unload(key)  # the next model's memory figures start clean
    steps.done = steps.total
    steps.show(steps.words("progress_done"))
    run.wall_s = time.perf_counter() - started - run.load_wall_s
    return run


def _run_model(pool: ModelPool, run: BenchmarkRun, key: str, steps: Steps) -> None:
    """One model over every item, one request at a time: its rows, texts and timings in `run`."""
    settings, name = run.settings, _model_name(pool, key)
    load_s: float | None = None
    first = next((item for item in run.dataset.items if not item.problem), None)
    for n in range(settings.warmup):
        steps.show(f"{name}: " + steps.words("progress_warmup", n=n + 1, total=settings.warmup))
        if first is not None:
            attempt = _attempt(pool, key, first, settings)
            load_s = attempt["load_s"] if load_s is None else load_s
            run.warmup_engine_s += attempt["engine_s"]
        steps.advance()
    for item in run.dataset.items:
        attempts = []
        for n in range(settings.repeats):
            steps.show(f"{name}: {item.item_id}" + (f" ({n + 1}/{settings.repeats})" if settings.repeats > 1 else ""))
            attempt = _attempt(pool, key, item, settings)
            attempts.append(attempt)
            steps.advance()
            if attempt["status"] != Status.OK.value:
                steps.advance(settings.repeats - n - 1)  # no point repeating a failure
                break
        if load_s is None and attempts[0]["status"] != "skipped":
            load_s = attempts[0]["load_s"]
        row = _row(key, name, item, attempts, settings.normalization)
        if settings.task == "layout":
            row |= _layout_row(pool, key, item, attempts[-1])
        run.rows.append(row)
        run.memory_labels |= {memory_column(label): label for a in attempts for label in a["memory_mb"]}
        run.texts[(key, item.item_id)] = attempts[-1]["text"]
        run.runs[(key, item.item_id)] = [{k: _round(a[k]) for k in ("wall_s", "load_s", "first_token_s",
                                                                     "latency_s", "engine_s")}
                                         for a in attempts]
    for row in run.rows:
        if row["key"] == key:
            row["load_s"] = _round(load_s)  # the model's cold load, on each of its rows


def _sweep_model(pool: ModelPool, run: BenchmarkRun, key: str, steps: Steps) -> None:
    """The model's concurrency sweep: every readable item `repeats` times at each level, after its one-at-a-time
    pass (which loaded and warmed it). A model with no page read OK one at a time is not swept."""
    name, settings = _model_name(pool, key), run.settings
    per_level = len(run.dataset.items) * settings.repeats
    if not any(r["key"] == key and r["status"] == Status.OK.value for r in run.rows):
        run.load_skipped[key] = "no page was read OK one at a time"
        steps.advance(per_level * len(run.load.levels))
        return
    jobs = _load_jobs(run.dataset.items, settings)
    if jobs and key not in pool.loaded_keys():  # reset after a timeout: its load must not count as a request's
        for _ in pool.run_many([key], jobs[0].request):
            pass
    for level in run.load.levels:
        description = f"{name}: " + steps.words("progress_in_flight", level=level)
        steps.show(description)

        def request_done(description: str = description) -> None:
            steps.advance()
            steps.show(description)

        level_run = run_level(pool, key, name, jobs, level, on_request=request_done)
        steps.advance(per_level - len(jobs))  # the unreadable items are not sent
        run.levels.append(level_run)
        run.memory_labels |= {memory_column(label): label for label in level_run.memory_mb}


def _load_jobs(items: list[DatasetItem], settings: BenchmarkSettings) -> list[Job]:
    """The sweep's requests, read before the clock starts: one request per readable item, sent `repeats` times
    (so an HTTP engine encodes each page once, as a client with the pages at hand would)."""
    jobs = []
    for item in items:
        if item.problem:
            continue
        try:
            request = PageRequest(_page_image(item, settings), task=settings.task)
        except DocumentError:
            continue
        jobs += [Job(item.item_id, n + 1, request) for n in range(settings.repeats)]
    return jobs


def _model_name(pool: ModelPool, key: str) -> str:
    try:
        return pool.config.get(key).name
    except KeyError:
        return key


def _attempt(pool: ModelPool, key: str, item: DatasetItem, settings: BenchmarkSettings) -> dict:
    """Run one request and return what it measured; never raises."""
    base = {"text": "", "message": "", "code": "", "page_size": None, "load_s": None, "first_token_s": None,
            "latency_s": None, "tokens_per_s": None, "output_tokens": None, "wall_s": 0.0, "engine_s": 0.0,
            "memory_mb": {}, "cut": False}
    if item.problem:
        return {**base, "status": "skipped", "message": item.problem}
    try:
        image = _page_image(item, settings)
    except DocumentError as exc:
        return {**base, "status": Status.ERROR.value, "message": str(exc)}
    request = PageRequest(image, task=settings.task)
    result: ModelResult | None = None
    with SpeedTracker() as speed, MemoryTracker() as memory:
        for _, event in pool.run_many([key], request):
            speed.observe(event)
            if isinstance(event, ModelResult):
                result = event
    assert result is not None  # run_many ends every key with a ModelResult
    engine_s = (result.metrics.load_s or 0.0) + (result.metrics.latency_s or 0.0)
    return {**base, "status": result.status.value, "message": result.message, "code": result.code,
            "text": result.text,
            "page_size": image.size,
            "cut": result.cut, "load_s": speed.load_s, "first_token_s": speed.first_token_s,
            "latency_s": speed.latency_s, "tokens_per_s": speed.tokens_per_s,
            "output_tokens": result.metrics.output_tokens, "wall_s": speed.wall_s, "engine_s": engine_s,
            "memory_mb": {**memory.readings(), **result.metrics.memory_mb}}


def _page_image(item: DatasetItem, settings: BenchmarkSettings):
    return (render_pdf_page(item.image_path, item.page, dpi=settings.pdf_dpi) if item.page is not None
            else load_image(item.image_path))


def _row(key: str, name: str, item: DatasetItem, attempts: list[dict], normalization: metrics.Normalization) -> dict:
    """One results.csv row: the item's accuracy (from the last attempt) and its timings (mean over repeats)."""
    last = attempts[-1]
    ok = last["status"] == Status.OK.value
    row = {"model": name, "key": key, "item": item.item_id, "language": item.language,
           "status": "error" if last["status"] == "skipped" else last["status"], "message": last["message"],
           "code": last["code"], "repeats": len(attempts) if ok else 0, "cut": last["cut"], "load_s": None}
    scores = metrics.score(item.gt_text, last["text"], normalization) if ok and item.gt_text is not None else {}
    row |= {name: _round(scores.get(name), 4) for name in metrics.TEXT_METRICS}
    # Field values are matched case-folded whatever the text normalisation (see metrics.field_matches).
    matches = metrics.field_matches(item.gt_fields, last["text"]) if ok and item.gt_fields else {}
    row["field_accuracy"] = _round(metrics.field_accuracy(matches), 4)
    row |= {f"field_{field_name}": int(hit) for field_name, hit in matches.items()}
    timed = attempts if ok else []
    for measure in ("latency_s", "first_token_s", "tokens_per_s"):
        row[measure] = _round(describe(a[measure] for a in timed).mean)
    row["chars"] = len(last["text"]) if ok else None
    row["output_tokens"] = last["output_tokens"] if ok else None
    peaks: dict[str, float] = {}
    for attempt in timed:
        for label, value in attempt["memory_mb"].items():
            peaks[label] = max(peaks.get(label, 0.0), value)
    row |= {memory_column(label): value for label, value in peaks.items()}
    return row


def _layout_row(pool: ModelPool, key: str, item: DatasetItem, last: dict) -> dict:
    """The layout columns of a layout run: the reply parsed as its model writes it, scored against the item's
    layout ground truth and page tests. A reply that cannot be parsed scores as an empty page, and says why."""
    truth = layout_truth(item)
    if truth is None or last["status"] != Status.OK.value:
        return {**layout_columns(None), "layout_elements": None, "layout_problem": ""}
    parsed = read_layout(pool.config.get(key), last["text"], last["page_size"])
    scores = score_layout(parsed, truth)
    return {**{k: _round(v, 4) for k, v in layout_columns(scores).items()}, "layout_elements": len(parsed.elements),
            "layout_problem": parsed.problem or ""}


def memory_column(label: str) -> str:
    """A CSV column for a labelled memory figure: "RSS peak (app + workers)" -> "mem_rss_peak_app_workers_mb",
    "mem_app_shared" -> "mem_app_shared_mb"."""
    slug = "".join(c if c.isalnum() else "_" for c in label.lower().removeprefix("mem_"))  # the pool's own keys
    return "mem_" + "_".join(part for part in slug.split("_") if part) + "_mb"


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
