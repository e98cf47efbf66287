"""The pool on real engines: warm reuse, concurrency, timeouts and failure isolation."""
import threading
import time

import pytest

from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import Status
from backends.config import parse_config
from core.documents import load_image
from backends.pool import ModelPool
from backends.contracts.results import Progress, ModelResult
from backends.registry import create_engine
from tests.conftest import PHOTOTEST



@pytest.fixture(scope="module")
def page():
    return load_image(PHOTOTEST)


def final(events) -> ModelResult:
    events = list(events)
    assert all(isinstance(e, Progress) for e in events[:-1])
    assert isinstance(events[-1], ModelResult)
    return events[-1]


def test_second_request_is_warm_and_does_not_reload(config, page):
    loads = []

    def counting_create(entry):
        loads.append(entry.key)
        return create_engine(entry)

    pool = ModelPool(config, create_engine=counting_create)
    first = final(pool.run("tesseract", PageRequest(page)))
    second = final(pool.run("tesseract", PageRequest(page)))
    assert first.status == second.status == Status.OK
    assert loads == ["tesseract"]
    assert not first.metrics.warm and first.metrics.load_s > 0
    assert second.metrics.warm and second.metrics.load_s == 0
    assert second.text == first.text
    assert second.metrics.memory_mb["mem_app_shared"] > 0
    assert pool.loaded_keys() == ["tesseract"]
    report = pool.unload("tesseract")
    assert report.unloaded and report.before_mb["RSS (app process)"] > 0 and pool.loaded_keys() == []
    assert not pool.unload("tesseract").unloaded


def test_unavailable_model_is_a_result_with_its_status(config, page):
    result = final(ModelPool(config).run("qwen3_vl_4b", PageRequest(page)))
    assert result.status == Status.UNAVAILABLE
    assert result.message  # says what is missing and what to do
    assert final(ModelPool(config).run("no_such_model", PageRequest(page))).status == Status.UNAVAILABLE


def test_run_many_runs_models_concurrently(config, page):
    """Both engines are inside their engine call at the same moment: not one after another."""
    inside, overlap = set(), threading.Event()
    guard = threading.Lock()

    class Watched(Engine):
        def __init__(self, inner):
            super().__init__(inner.key, inner.options)
            self.inner = inner

        def load(self):
            self.inner.load()

        def stream(self, request):
            with guard:
                inside.add(self.key)
                if len(inside) == 2:
                    overlap.set()
            overlap.wait(timeout=30)
            yield from self.inner.stream(request)

    pool = ModelPool(config, create_engine=lambda entry: Watched(create_engine(entry)))
    results = {k: e for k, e in pool.run_many(["tesseract", "rapidocr"], PageRequest(page)) if isinstance(e, ModelResult)}
    assert overlap.is_set()
    assert {k: r.status for k, r in results.items()} == {"tesseract": Status.OK, "rapidocr": Status.OK}


def test_a_model_past_its_timeout_is_reported_and_the_others_finish(config, page):
    raw = config.model_dump()
    for entry in raw["models"]:
        if entry["key"] == "tesseract_eng":
            entry["timeout_s"] = 0.02  # loading alone takes longer than this
    pool = ModelPool(parse_config(raw))
    started = time.monotonic()
    results = {k: e for k, e in pool.run_many(["tesseract_eng", "rapidocr"], PageRequest(page))
               if isinstance(e, ModelResult)}
    assert results["tesseract_eng"].status == Status.TIMEOUT
    assert "timeout" in results["tesseract_eng"].message
    assert results["rapidocr"].status == Status.OK and results["rapidocr"].text
    assert time.monotonic() - started < 60
    # The hung engine was dropped: the next request gets a fresh one and completes.
    assert "tesseract_eng" not in pool.loaded_keys()
    retry = final(pool.run("tesseract_eng", PageRequest(page)))
    assert retry.status == Status.OK and retry.metrics.load_s > 0


def test_a_timeout_before_the_model_even_started_leaves_nothing_loaded(config, page):
    """The deadline can pass while the request is still checking availability, before its slot exists."""
    from backends.registry import availability
    raw = config.model_dump()
    for entry in raw["models"]:
        if entry["key"] == "tesseract_eng":
            entry["timeout_s"] = 0.05

    def slow_check(entry):
        time.sleep(0.5)  # past the deadline before the slot is taken
        return availability(entry)

    pool = ModelPool(parse_config(raw), check_availability=slow_check)
    results = dict(pool.run_many(["tesseract_eng"], PageRequest(page)))
    assert results["tesseract_eng"].status == Status.TIMEOUT
    time.sleep(1.5)  # the abandoned thread finishes its check; it must not leave a warm engine behind
    assert pool.loaded_keys() == []


def test_a_model_that_raises_does_not_break_the_others(config, page):
    class Failing(Engine):
        def stream(self, request):
            yield "partial "
            raise RuntimeError("CUDA out of memory")

    def create(entry):
        return Failing(entry.key, None) if entry.key == "tesseract_eng" else create_engine(entry)

    pool = ModelPool(config, create_engine=create)
    results = {k: e for k, e in pool.run_many(["tesseract_eng", "tesseract", "qwen3_vl_4b"], PageRequest(page))
               if isinstance(e, ModelResult)}
    assert results["tesseract_eng"].status == Status.ERROR
    assert results["tesseract_eng"].message == "RuntimeError: CUDA out of memory"
    assert results["tesseract_eng"].text == "partial "  # what arrived before the failure is kept
    assert results["tesseract"].status == Status.OK and "quick brown" in results["tesseract"].text
    assert results["qwen3_vl_4b"].status == Status.UNAVAILABLE


def test_a_model_that_fails_to_load_reports_it(config, page):
    class BrokenLoad(Engine):
        def load(self):
            raise OSError("weights file is truncated")

    pool = ModelPool(config, create_engine=lambda entry: BrokenLoad(entry.key, None))
    result = final(pool.run("tesseract", PageRequest(page)))
    assert result.status == Status.ERROR
    assert result.message == "failed to load: OSError: weights file is truncated"
    assert pool.loaded_keys() == []


def test_streamed_deltas_accumulate_into_progress(config, page):
    class Streaming(Engine):
        def stream(self, request):
            yield "a"
            yield "b"
            yield EngineOutput(text="ab", output_tokens=2)

    events = list(ModelPool(config, create_engine=lambda e: Streaming(e.key, None)).run("tesseract", PageRequest(page)))
    assert [e.text for e in events if isinstance(e, Progress) and e.text] == ["a", "ab"]
    result = events[-1]
    assert result.text == "ab" and result.metrics.output_tokens == 2
    assert result.metrics.first_token_s is not None and result.metrics.tokens_per_s > 0


def test_unloading_a_model_mid_request_waits_for_it_and_never_raises(config, page):
    started = threading.Event()

    class Slow(Engine):
        def stream(self, request):
            started.set()
            time.sleep(0.5)
            yield EngineOutput("done")

    pool = ModelPool(config, create_engine=lambda entry: Slow(entry.key, None))
    results = []
    runner = threading.Thread(target=lambda: results.extend(pool.run("tesseract", PageRequest(page))))
    runner.start()
    assert started.wait(10)
    report = pool.unload("tesseract")  # e.g. the app closing while a column still runs
    runner.join(10)
    assert report.unloaded and pool.loaded_keys() == []
    assert results[-1].status == Status.OK and results[-1].text == "done"


class Overlapping(Engine):
    """Counts how many of its requests run at the same moment."""

    def __init__(self, key, options, parallel: bool, counter: dict):
        super().__init__(key, options)
        self.parallel_requests = parallel
        self.counter = counter

    def stream(self, request):
        with self.counter["lock"]:
            self.counter["now"] += 1
            self.counter["peak"] = max(self.counter["peak"], self.counter["now"])
        time.sleep(0.3)
        with self.counter["lock"]:
            self.counter["now"] -= 1
        yield EngineOutput("done")


@pytest.mark.parametrize("parallel, peak", [(False, 1), (True, 4)])
def test_requests_to_a_server_engine_overlap_and_the_rest_take_turns(config, page, parallel, peak):
    counter = {"lock": threading.Lock(), "now": 0, "peak": 0}
    pool = ModelPool(config, create_engine=lambda entry: Overlapping(entry.key, None, parallel, counter))
    results = []
    threads = [threading.Thread(target=lambda: results.append(final(pool.run("tesseract", PageRequest(page)))))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    report = pool.unload("tesseract")  # waits for every request in flight, parallel ones included
    for thread in threads:
        thread.join(10)
    assert counter["peak"] == peak
    assert [r.status for r in results] == [Status.OK] * 4
    assert report.unloaded
