"""The benchmark's statistics and its speed and memory trackers."""
import subprocess
import sys
import time

import numpy as np
import pytest

from backends.contracts.results import Status
from backends.contracts.results import Metrics, Progress, ModelResult
from benchmarks.charts import pareto_front
from benchmarks.trackers import RSS_PEAK, MemoryTracker, SpeedTracker, describe


def test_describe_gives_mean_and_interpolated_percentiles():
    stats = describe([1.0, 2.0, 3.0, 4.0, None, float("nan")])
    assert stats.n == 4 and stats.mean == 2.5
    assert stats.p50 == 2.5  # halfway between 2 and 3
    assert stats.p90 == pytest.approx(3.7)  # 3 + 0.7 * (4 - 3)
    assert describe([]).mean is None and describe([]).n == 0


def test_speed_tracker_splits_load_first_text_and_latency():
    with SpeedTracker() as speed:
        time.sleep(0.2)  # "loading"
        speed.observe(Progress("m", "running"))
        time.sleep(0.1)
        speed.observe(Progress("m", "running", "Hel"))
        time.sleep(0.1)
        speed.observe(ModelResult("m", "M", Status.OK, text="Hello", metrics=Metrics(output_tokens=20)))
    assert speed.load_s == pytest.approx(0.2, abs=0.05)
    assert speed.first_token_s == pytest.approx(0.1, abs=0.05)
    assert speed.latency_s == pytest.approx(0.2, abs=0.05)
    assert speed.wall_s == pytest.approx(0.4, abs=0.08)
    assert speed.tokens_per_s == pytest.approx(20 / speed.latency_s)


def test_speed_tracker_on_an_engine_that_answers_at_once():
    with SpeedTracker() as speed:
        speed.observe(ModelResult("m", "M", Status.OK, text="all of it"))
    assert speed.first_token_s == pytest.approx(speed.latency_s) and speed.tokens_per_s is None


def test_memory_tracker_sees_the_peak_of_a_child_process():
    baseline = MemoryTracker()
    with baseline:
        pass
    child = "b = b'x' * (300 * 2**20); import time; time.sleep(1.0)"  # 300 MB written, freed on exit
    with MemoryTracker() as tracker:
        subprocess.run([sys.executable, "-c", child], check=True)
    assert tracker.readings()[RSS_PEAK] > baseline.readings()[RSS_PEAK] + 250


def test_pareto_front_keeps_models_nothing_beats_on_both_axes():
    points = [("fast_bad", 0.1, 0.5), ("slow_good", 2.0, 0.05), ("dominated", 1.0, 0.6), ("middle", 0.5, 0.2)]
    assert pareto_front(points, lower_is_better=True) == ["fast_bad", "middle", "slow_good"]
    accuracy = [(n, t, 1 - c) for n, t, c in points]  # the same, as "higher is better"
    assert pareto_front(accuracy, lower_is_better=False) == ["fast_bad", "middle", "slow_good"]
    assert np.isclose(describe([5]).p90, 5)
