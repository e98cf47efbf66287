"""The arena's and the benchmark's charts: a perfect reading is drawn, axes start at 0, labels have room, MiB."""
import pandas as pd

from backends.contracts.results import Metrics, ModelResult, Status
from benchmarks.charts import memory_chart, pareto_chart
from core.arena_run import ArenaRun
from ui.charts import accuracy_chart, speed_chart


def perfect_run() -> ArenaRun:
    run = ArenaRun("page.png", ground_truth="exact text")
    run.results = {key: ModelResult(key, key.title(), Status.OK, text="exact text",
                                    metrics=Metrics(load_s=0.5, latency_s=0.2, chars=10))
                   for key in ("first", "second")}
    return run


def test_a_perfect_reading_is_drawn_on_an_axis_from_zero():
    figure = accuracy_chart(perfect_run(), "en")
    low, high = figure.layout.yaxis.range
    assert low == 0 and high > 0  # not -1 to 1 around an invisible 0
    for bar in figure.data:
        assert all(0 < value < high / 50 for value in bar.y)  # a sliver that can be seen
        assert list(bar.text) == ["0.000", "0.000"]  # and its true value written on it
    assert [bar.name for bar in figure.data] == ["CER", "CER (look-alikes folded)", "WER"]
    assert speed_chart(perfect_run(), "en").layout.yaxis.rangemode == "tozero"


def test_the_pareto_chart_leaves_room_for_its_labels():
    summary = pd.DataFrame({"model": ["Fast model", "Slow but accurate model"], "latency_p50_s": [0.5, 8.0],
                            "cer_mean": [0.30, 0.02]})
    figure = pareto_chart(summary)
    x_low, x_high = figure.layout.xaxis.range
    y_low, y_high = figure.layout.yaxis.range
    assert x_low == 0 and x_high >= 8.0 * 1.25 and y_high >= 0.30 + 0.05 and y_low < 0.02
    # Each label reaches inwards from its point: the rightmost one to the left, the leftmost one to the right.
    assert list(figure.data[0].textposition) == ["top right", "top left"]


def test_memory_is_in_mib():
    summary = pd.DataFrame({"model": ["a"], "mem_rss": [1024.0]})
    assert memory_chart(summary).layout.yaxis.title.text == "MiB"
