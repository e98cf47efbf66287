"""The concurrency sweep without a server: levels parsed, streams timed chunk by chunk, batching told from queueing,
the figures summarised from the records, and the CLI's files (a run without --concurrency keeps its own)."""
import contextvars
import json
import threading
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.results import Availability
from backends.pool import ModelPool
from benchmarks.__main__ import main
from benchmarks.load import ConcurrencyError, Job, LevelRun, LoadSettings, parse_levels, run_level
from benchmarks.load_summary import level_row, most_at_once
from benchmarks.trackers import describe
from tests.conftest import PHOTOTEST, PHOTOTEST_GT

KEY = "tesseract_eng"  # an entry with the ocr task; the fake engines below stand in for it


class ScriptedEngine(Engine):
    """Streams `chunks` text pieces `gap_s` apart after `first_s`, and says it made `tokens` tokens."""

    def __init__(self, parallel: bool, first_s: float = 0.05, gap_s: float = 0.03, chunks: int = 5,
                 tokens: int | None = 9):
        super().__init__(KEY, None)
        self.parallel_requests = parallel
        self.first_s, self.gap_s, self.chunks, self.tokens = first_s, gap_s, chunks, tokens
        self.running, self.most_running = 0, 0
        self._lock = threading.Lock()

    def stream(self, request):
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            time.sleep(self.first_s)
            for n in range(self.chunks):
                if n:
                    time.sleep(self.gap_s)
                yield f"w{n} "
        finally:
            with self._lock:
                self.running -= 1
        yield EngineOutput(text="".join(f"w{n} " for n in range(self.chunks)), output_tokens=self.tokens)


def scripted_pool(config, engine: ScriptedEngine) -> ModelPool:
    return ModelPool(config, create_engine=lambda entry: engine, check_availability=lambda entry: Availability(True),
                     on_gpu=False)


def jobs(count: int) -> list[Job]:
    request = PageRequest(Image.new("RGB", (32, 32), "white"))
    return [Job(f"page{n}", 1, request) for n in range(count)]


@pytest.mark.parametrize("given, levels", [("1", (1,)), (" 16, 4,1,4", (1, 4, 16)), (8, (8,))])
def test_levels_are_parsed_ascending_and_once(given, levels):
    assert parse_levels(given) == levels


@pytest.mark.parametrize("given", ["", "0", "a", "1,,2", "-1", "2.5", "5000"])
def test_a_bad_level_is_refused_with_what_was_given(given):
    with pytest.raises(ConcurrencyError) as caught:
        parse_levels(given)
    assert caught.value.value == given


def test_a_latency_target_must_be_positive():
    with pytest.raises(ConcurrencyError):
        LoadSettings((1,), slo_s=0)
    assert LoadSettings((1, 4), slo_s=2.5).slo_s == 2.5


def test_each_chunk_is_timed_and_tpot_divides_by_the_tokens_after_the_first(config):
    engine = ScriptedEngine(parallel=True, first_s=0.05, gap_s=0.03, chunks=5, tokens=9)
    pool = scripted_pool(config, engine)
    level = run_level(pool, KEY, "scripted", jobs(3), concurrency=1)
    assert [r["item"] for r in level.records] == ["page0", "page1", "page2"]
    for record in level.records:
        assert record["status"] == "ok" and record["chunks"] == 5 and len(record["chunk_s"]) == 5
        assert record["ttft_s"] == record["chunk_s"][0] >= 0.05  # the engine slept that long before its first text
        # Two tokens a chunk here: TPOT counts the server's tokens, not the chunks.
        assert record["tpot_s"] == pytest.approx((record["chunk_s"][-1] - record["chunk_s"][0]) / 8, abs=1e-5)
        # From sending, times are at least what the engine slept (between chunks, delivery jitter has no bound).
        assert record["latency_s"] >= max(record["chunk_s"][-1], 0.05 + 4 * 0.03)
    row = level_row(level, slo_s=None)
    gaps = [b - a for r in level.records for a, b in zip(r["chunk_s"], r["chunk_s"][1:])]
    assert len(gaps) == 12
    assert row["itl_p50_s"] == pytest.approx(np.percentile(gaps, 50))
    assert row["itl_p99_s"] == pytest.approx(np.percentile(gaps, 99))
    assert row["ttft_p90_s"] == pytest.approx(np.percentile([r["ttft_s"] for r in level.records], 90))
    assert row["output_tokens_per_s"] == pytest.approx(27 / level.wall_s)
    assert row["batching"] == "single" and row["goodput_pages_per_s"] is None


def test_a_batching_engine_runs_them_at_once_and_one_that_cannot_makes_them_queue(config):
    batching = ScriptedEngine(parallel=True, first_s=1.0, chunks=1)  # long enough to outlast a busy machine's jitter
    level = run_level(scripted_pool(config, batching), KEY, "batching", jobs(4), concurrency=4)
    row = level_row(level, slo_s=None)
    assert batching.most_running == 4
    assert (row["batching"], row["engine_overlap_max"]) == ("batched", 4)

    serial = ScriptedEngine(parallel=False, first_s=0.3, chunks=1)
    level = run_level(scripted_pool(config, serial), KEY, "serial", jobs(4), concurrency=4)
    row = level_row(level, slo_s=None)
    assert serial.most_running == 1  # the pool's slot lock: one at a time
    assert (row["batching"], row["engine_overlap_max"]) == ("queued", 1)
    # All four were sent at once; the last waited for the three before it, and its latency says so.
    waits = sorted(r["queue_s"] for r in level.records)
    assert waits[-1] >= 0.8 and max(r["latency_s"] for r in level.records) >= 1.1


def test_progress_is_reported_in_the_callers_context(config):
    page = contextvars.ContextVar("page", default=None)
    page.set("the tab's page")  # Gradio finds a request's progress bar this way
    seen = []
    run_level(scripted_pool(config, ScriptedEngine(parallel=True, first_s=0.01, chunks=1)), KEY, "m", jobs(3), 2,
              on_request=lambda: seen.append(page.get()))
    assert seen == ["the tab's page"] * 3


def test_goodput_counts_only_the_pages_within_the_target():
    records = [{"status": "ok", "latency_s": latency, "queue_s": 0.0, "ttft_s": 0.1, "tpot_s": 0.01,
                "output_tokens": 10, "chunk_s": [0.1, 0.2], "started_at_s": start, "ended_at_s": start + latency}
               for start, latency in ((0.0, 1.0), (0.0, 2.0), (1.0, 3.0))]
    records.append({**records[0], "status": "error", "output_tokens": None})
    row = level_row(LevelRun("m", "M", 4, wall_s=4.0, records=records), slo_s=2.0)
    assert (row["requests"], row["errors"]) == (4, 1)
    assert row["pages_per_s"] == 3 / 4 and row["goodput_pages_per_s"] == 2 / 4
    assert row["output_tokens_per_s"] == 30 / 4
    assert row["latency_p99_s"] == pytest.approx(np.percentile([1.0, 2.0, 3.0], 99))


def test_requests_at_once_ignore_the_skew_at_the_edges():
    one_after_another = [(0.0, 1.0), (0.98, 2.0), (1.99, 3.0)]  # each seen to start just before the last ended
    assert most_at_once(one_after_another) == 1
    assert most_at_once([(0.0, 1.0), (0.1, 1.1), (0.2, 0.9), (2.0, 3.0)]) == 3
    assert most_at_once([]) == 0


def test_describe_gives_p99():
    assert describe(range(101)).p99 == pytest.approx(99.0)


@pytest.fixture
def small_dataset(tmp_path):
    """Two small crops of the test page, with the page's text as their (rough) ground truth."""
    folder = tmp_path / "pages"
    folder.mkdir()
    page = Image.open(PHOTOTEST).convert("RGB")
    for n in range(2):
        page.crop((0, 60 * n, 640, 60 * n + 160)).save(folder / f"crop{n}.png")
        (folder / f"crop{n}.txt").write_text(PHOTOTEST_GT.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_the_cli_sweep_writes_its_files_beside_the_unchanged_ones(small_dataset, tmp_path, capsys):
    common = ["run", "--models", KEY, "--dataset", str(small_dataset), "--history", str(tmp_path / "h.sqlite")]
    assert main(common + ["--out", str(tmp_path / "plain")]) == 0
    assert main(common + ["--out", str(tmp_path / "swept"), "--concurrency", "2,1", "--slo-s", "60"]) == 0
    printed = capsys.readouterr().out
    assert "under load" in printed and "| queued" in printed
    plain, swept = tmp_path / "plain", tmp_path / "swept"
    assert not (plain / "load_summary.csv").exists() and "load" not in json.loads((plain / "results.json").read_text())
    for name in ("results.csv", "summary.csv"):
        assert list(pd.read_csv(plain / name).columns) == list(pd.read_csv(swept / name).columns), name

    load = pd.read_csv(swept / "load_summary.csv")
    assert list(load["concurrency"]) == [1, 2] and list(load["requests"]) == [2, 2] and set(load["errors"]) == {0}
    assert list(load["batching"]) == ["single", "queued"]  # Tesseract reads one page at a time
    assert (load["goodput_pages_per_s"] <= load["pages_per_s"]).all() and load["pages_per_s"].gt(0).all()
    assert load["ttft_p50_s"].notna().all() and load["tpot_p50_s"].isna().all()  # text at once: no tokens to time
    requests = pd.read_csv(swept / "load_results.csv")
    assert len(requests) == 4 and set(requests["item"]) == {"crop0.png", "crop1.png"}
    record = json.loads((swept / "results.json").read_text())
    assert record["load"]["levels"] == [1, 2] and record["load"]["slo_s"] == 60
    assert len(record["load"]["requests"]) == 4 and all(len(r["chunk_s"]) == 1 for r in record["load"]["requests"])
    assert "Throughput vs latency" in (swept / "report.html").read_text(encoding="utf-8")
    assert "## Throughput under load" in (swept / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("arguments, message", [
    (["--concurrency", "0"], "between 1 and"), (["--concurrency", "4x"], "comma-separated"),
    (["--slo-s", "5"], "--slo-s needs --concurrency"), (["--concurrency", "2", "--slo-s", "-1"], "more than 0")])
def test_the_cli_refuses_a_bad_sweep(small_dataset, tmp_path, capsys, arguments, message):
    assert main(["run", "--models", KEY, "--dataset", str(small_dataset), "--out", str(tmp_path / "out"),
                 "--history", str(tmp_path / "h.sqlite"), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
