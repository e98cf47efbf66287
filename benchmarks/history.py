"""The benchmark history: every run's settings and per-model summary in one SQLite file, to compare over time."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

COMPARED = ("items", "errors", "cer_mean", "cer_folded_mean", "wer_mean", "word_f1_mean", "field_accuracy",
            "latency_p50_s", "latency_p90_s", "pages_per_s", "load_s", "chars_mean")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT, dataset TEXT, dataset_folder TEXT, items INTEGER,
    models TEXT, settings TEXT, wall_s REAL, overhead REAL, out_dir TEXT);
CREATE TABLE IF NOT EXISTS summaries (
    run_id TEXT REFERENCES runs(run_id), model_key TEXT, model TEXT, figures TEXT,
    PRIMARY KEY (run_id, model_key));
"""


class HistoryError(ValueError):
    pass


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    return connection


def record_run(path: Path, record: dict, out_dir: Path | None) -> None:
    """Append one run (the dict report.run_record builds)."""
    with closing(_connect(path)) as db, db:
        db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            record["run_id"], record["started_at"], record["dataset"]["name"], record["dataset"]["folder"],
            record["dataset"]["items"], ",".join(record["models"]), json.dumps(record["settings"]),
            record["wall_s"], record["overhead"], str(out_dir) if out_dir else None))
        db.executemany("INSERT INTO summaries VALUES (?, ?, ?, ?)", [
            (record["run_id"], row["key"], row["model"], json.dumps(row, ensure_ascii=False))
            for row in record["summary"]])


def list_runs(path: Path) -> pd.DataFrame:
    """Every recorded run, newest first."""
    if not path.is_file():
        return pd.DataFrame(columns=["run_id", "started_at", "dataset", "items", "models", "wall_s", "overhead"])
    with closing(_connect(path)) as db:
        return pd.read_sql_query("SELECT run_id, started_at, dataset, items, models, wall_s, overhead FROM runs "
                                 "ORDER BY started_at DESC, rowid DESC", db)


def resolve_run(path: Path, run_id: str) -> str:
    """A full run id from the id or a unique prefix of it."""
    runs = list(list_runs(path)["run_id"])
    matches = [r for r in runs if r == run_id] or [r for r in runs if r.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise HistoryError(f"no run '{run_id}' in {path} (see: python -m benchmarks history)")
    raise HistoryError(f"'{run_id}' matches several runs: {', '.join(matches)}")


def run_summary(path: Path, run_id: str) -> pd.DataFrame:
    with closing(_connect(path)) as db:
        rows = db.execute("SELECT figures FROM summaries WHERE run_id = ? ORDER BY rowid", (run_id,)).fetchall()
    return pd.DataFrame([json.loads(figures) for (figures,) in rows])


def compare(path: Path, run_a: str, run_b: str) -> pd.DataFrame:
    """One row per model and figure: its value in run A, in run B, and B - A. Models in only one run show
    their figures with the other side empty."""
    run_a, run_b = resolve_run(path, run_a), resolve_run(path, run_b)
    a, b = run_summary(path, run_a).set_index("key"), run_summary(path, run_b).set_index("key")
    rows = []
    for key in list(dict.fromkeys([*a.index, *b.index])):
        name = (a if key in a.index else b).loc[key, "model"]
        for figure in COMPARED:
            value_a = _value(a, key, figure)
            value_b = _value(b, key, figure)
            if value_a is None and value_b is None:
                continue
            delta = value_b - value_a if value_a is not None and value_b is not None else None
            rows.append({"model": name, "figure": figure, run_a: value_a, run_b: value_b,
                         "change": None if delta is None else round(delta, 4)})
    return pd.DataFrame(rows)


def _value(frame: pd.DataFrame, key: str, figure: str) -> float | None:
    if key not in frame.index or figure not in frame.columns:
        return None
    value = frame.loc[key, figure]
    return None if pd.isna(value) else float(value)


def latest_cer(path: Path, datasets: list[str]) -> dict[str, float]:
    """Each model's mean CER in its latest recorded run on any of these datasets (by name)."""
    if not path.is_file() or not datasets:
        return {}
    marks = ", ".join("?" * len(datasets))
    with closing(_connect(path)) as db:
        rows = db.execute(f"SELECT s.model_key, s.figures FROM summaries s JOIN runs r ON r.run_id = s.run_id "
                          f"WHERE r.dataset IN ({marks}) ORDER BY r.started_at DESC, r.rowid DESC", datasets).fetchall()
    latest: dict[str, float] = {}
    for key, figures in rows:
        value = json.loads(figures).get("cer_mean")
        if key not in latest and value is not None:
            latest[key] = float(value)
    return latest
