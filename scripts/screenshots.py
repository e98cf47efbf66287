"""Screenshots of every tab, in English and Russian, at 1400 px and 800 px, into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--widths 1400,800] [--langs en,ru]

Starts the app as a user does (`python launch.py`, the shipped config, in a fresh process), then walks each
tab in Chromium doing one small thing there (testkit/ui_walk.py: a licence read by the models that can run,
a chat question, fields, a two-document benchmark, a blind battle, the leaderboard). Needs Debian's Chromium
and Playwright (`scripts/setup.sh dev`).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testkit.servers import launched_app  # noqa: E402
from testkit.ui_walk import open_browser, walk  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
LOCALES = {"en": "en-US", "ru": "ru-RU"}


def scratch_config(folder: Path) -> Path:
    """The shipped config, with its benchmark history and votes kept in `folder` (the walk's benchmark run and
    battle do not land in the user's own records) and battles between the two CPU engines."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["app"].update(votes_db=str(folder / "votes.sqlite"), benchmark_history=str(folder / "history.sqlite"),
                      battle_models=["tesseract", "rapidocr"])  # the engines every machine can run
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def shrink(path: Path) -> int:
    """A screenshot in 256 colours (an interface has few; about a third of the bytes); returns its size."""
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--widths", default="1400,800")
    parser.add_argument("--langs", default="en,ru")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    scratch = Path(tempfile.mkdtemp(prefix="arena-screenshots-"))
    with launched_app("--config", str(scratch_config(scratch)), timeout_s=180) as url, \
            sync_playwright() as playwright:
        for lang in args.langs.split(","):
            for width in (int(w) for w in args.widths.split(",")):
                profile = scratch / f"profile-{lang}-{width}"
                context, page = open_browser(playwright, CHROMIUM, CHROMIUM_ARGS, profile, LOCALES[lang], width)
                try:
                    for tab in walk(page, url, lang, ROOT / "samples", shots=args.out, width=width):
                        print(f"{tab.screenshot.relative_to(ROOT)}: {shrink(tab.screenshot) // 1024} KB", flush=True)
                finally:
                    context.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
