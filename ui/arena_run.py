"""One arena run: the results of every selected model on one document, scored, tabulated and exported."""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from backends.base import Status
from backends.pool import Result
from benchmarks.metrics import score
from ui.i18n import text


@dataclass
class ArenaRun:
    document: str
    ground_truth: str = ""
    task: str = "ocr"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    results: dict[str, Result] = field(default_factory=dict)

    @property
    def has_truth(self) -> bool:
        return bool(self.ground_truth.strip())

    def scores(self, key: str) -> dict[str, float] | None:
        """CER, WER, NED and word F1 against the ground truth (the benchmark's metric code), for a model with output."""
        result = self.results.get(key)
        if not self.has_truth or result is None or result.status != Status.OK:
            return None
        return score(self.ground_truth, result.text)

    def rows(self) -> list[dict]:
        """One flat record per model, in a language-neutral schema (the CSV and JSON exports use it)."""
        rows = []
        for key, r in self.results.items():
            m = r.metrics
            s = self.scores(key) or {}
            rows.append({
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
                "memory_mb": max(m.memory_mb.values()) if m.memory_mb else None,
                "memory_label": ", ".join(m.memory_mb) or None,
                "cer": _round(s.get("cer"), 4),
                "wer": _round(s.get("wer"), 4),
                "ned": _round(s.get("ned"), 4),
                "word_f1": _round(s.get("word_f1"), 4),
                "message": r.message,
            })
        return rows

    def table(self, lang: str) -> pd.DataFrame:
        """The comparison table shown in the UI, with headers in the user's language."""
        columns = {"model": "col_model", "status": "col_status", "load_s": "col_load_s", "latency_s": "col_latency_s",
                   "chars": "col_chars", "tokens_per_s": "col_tokens_s", "memory_mb": "col_memory"}
        if self.has_truth:
            columns |= {"cer": "col_cer", "wer": "col_wer"}
        columns["message"] = "col_message"
        frame = pd.DataFrame(self.rows(), columns=list(columns))
        frame["status"] = [text(lang, f"st_{s}") for s in frame["status"]]
        return frame.rename(columns={k: text(lang, v) for k, v in columns.items()})

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "document": self.document,
            "task": self.task,
            "ground_truth": self.ground_truth or None,
            "models": [
                {**row, "text": self.results[row["key"]].text,
                 "memory_mb": self.results[row["key"]].metrics.memory_mb,
                 "input_tokens": self.results[row["key"]].metrics.input_tokens,
                 "details": self.results[row["key"]].details,
                 "boxes": [asdict(b) for b in self.results[row["key"]].boxes]}
                for row in self.rows()
            ],
        }

    def export(self, folder: Path) -> list[str]:
        """Write results.csv and results.json for download; returns their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        csv_path, json_path = folder / f"arena-{self.run_id}.csv", folder / f"arena-{self.run_id}.json"
        pd.DataFrame(self.rows()).to_csv(csv_path, index=False)
        json_path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        return [str(csv_path), str(json_path)]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
