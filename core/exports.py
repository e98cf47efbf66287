"""Run exports: the CSV and JSON files every front end writes, and the folder that keeps the newest of them."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd


def write_json(path: Path, record: Any) -> Path:
    """UTF-8 JSON, indented, non-ASCII kept readable (Cyrillic stays Cyrillic)."""
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_csv(path: Path, table: pd.DataFrame | list[dict]) -> Path:
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    frame.to_csv(path, index=False)
    return path


def write_table_and_record(folder: Path, stem: str, table: pd.DataFrame | list[dict], record: Any) -> list[str]:
    """`stem`.csv from the table and `stem`.json from the record, in `folder`; returns their paths, CSV first."""
    folder.mkdir(parents=True, exist_ok=True)
    return [str(write_csv(folder / f"{stem}.csv", table)), str(write_json(folder / f"{stem}.json", record))]


class ExportFolder:
    """A private temp folder for this app's run exports, keeping only the newest runs."""

    def __init__(self, keep: int = 50):
        self.root = Path(tempfile.mkdtemp(prefix="ocr-arena-exports-"))
        self.keep = keep

    def folder_for(self, run_id: str) -> Path:
        runs = []
        for folder in self.root.iterdir():
            try:
                runs.append((folder.stat().st_mtime, folder))
            except FileNotFoundError:  # swept by the cache housekeeping meanwhile
                continue
        runs.sort()
        for _, old in runs[: max(0, len(runs) - self.keep + 1)]:
            shutil.rmtree(old, ignore_errors=True)
        return self.root / run_id

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
