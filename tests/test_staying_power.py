"""A server that lasts: the file caches stay within their limits without deleting what a page still shows, and
finished sessions are forgotten."""
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from backends.config import ConfigError, parse_config
from core.cache_limits import GRACE_S, CacheLimits, cached_files, sweep
from tests.conftest import ROOT
from tests.test_config import shipped_raw

KB = 1024


def write_files(folder: Path, count: int, size: int = 10 * KB) -> list[Path]:
    """`count` files, each in its own hash-named folder as Gradio stores them, oldest first."""
    paths = []
    for index in range(count):
        path = folder / f"{index:04x}hash" / f"page_{index}.png"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * size)
        paths.append(path)
        time.sleep(0.002)  # distinct creation times, so "oldest first" has one answer
    return paths


def total_bytes(folder: Path) -> int:
    return sum(f.size for f in cached_files([folder]))


def test_uploads_past_the_size_limit_leave_the_cache_within_it_oldest_first(tmp_path):
    files = write_files(tmp_path, 40)
    limits = CacheLimits(max_age_s=3600, max_bytes=100 * KB)
    result = sweep([tmp_path], limits, now=time.time() + GRACE_S + 1)
    assert total_bytes(tmp_path) <= limits.max_bytes
    assert [f.exists() for f in files] == [False] * 30 + [True] * 10  # the newest ten fit
    assert result.removed_bytes == 30 * 10 * KB
    assert sorted(p.name for p in tmp_path.iterdir()) == [f.parent.name for f in files[30:]]  # emptied folders go


def test_files_on_screen_survive_the_size_limit_until_the_age_limit(tmp_path):
    files = write_files(tmp_path, 40)
    on_screen = {files[0], files[1], files[5]}  # the oldest: first in line for the size limit
    limits = CacheLimits(max_age_s=3600, max_bytes=100 * KB)
    sweep([tmp_path], limits, now=time.time() + GRACE_S + 1, on_screen=on_screen)
    assert all(f.exists() for f in on_screen)
    assert total_bytes(tmp_path) <= limits.max_bytes
    sweep([tmp_path], limits, now=time.time() + 3601, on_screen=on_screen)
    assert not any(f.exists() for f in on_screen)


def test_nothing_younger_than_the_grace_period_goes_for_size(tmp_path):
    files = write_files(tmp_path, 20)
    sweep([tmp_path], CacheLimits(max_age_s=3600, max_bytes=10 * KB))
    assert all(f.exists() for f in files)  # a burst of fresh uploads may wait in the queue for their runs


def test_expired_files_go_and_kept_files_stay(tmp_path):
    files = write_files(tmp_path, 5)
    example = files[0]
    result = sweep([tmp_path], CacheLimits(max_age_s=60, max_bytes=10**9), now=time.time() + 61, keep={example})
    assert [f.exists() for f in files] == [True, False, False, False, False]
    assert len(result.removed) == 4 and tmp_path.is_dir()


@pytest.mark.parametrize("field, value", [("cache_max_mb", 0), ("cache_max_age_h", -1), ("cache_max_mb", "lots")])
def test_cache_limits_must_be_positive_numbers(field, value):
    raw = shipped_raw()
    raw["app"][field] = value
    with pytest.raises(ConfigError, match=f"app.{field}"):
        parse_config(raw, source="config.yaml")


def test_the_shipped_config_bounds_the_cache(config):
    assert config.app.cache_max_age_h == 24 and config.app.cache_max_mb == 1000


# ----- the real app -----

@pytest.fixture(scope="module")
def small_cache_app(config, tmp_path_factory):
    """The app with a 1 MB cache, in-process, with its own Gradio cache folder."""
    from tests.conftest import serving_app

    folder = tmp_path_factory.mktemp("gradio-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(folder))
        settings = config.app.model_copy(update={"cache_max_mb": 1.0, "votes_db": str(folder.parent / "votes.db")})
        with serving_app(config.model_copy(update={"app": settings})) as (app, url):
            yield app, url



@pytest.mark.slow
def test_an_open_page_keeps_its_files_while_uploads_push_the_cache_past_its_limit(small_cache_app, tmp_path):
    import httpx
    from gradio_client import Client, handle_file

    from benchmarks.scripts.soak import distinct_pages, page_endpoints

    app, url = small_cache_app
    [page] = distinct_pages(tmp_path, 1)
    reviewer = Client(url, verbose=False, download_files=False)
    preview, run_files = page_endpoints(reviewer)
    reviewer.predict(handle_file(str(page)), fn_index=preview)
    reviewer.predict(handle_file(str(page)), ["tesseract"], "", "ocr", "1", api_name="/run_arena")
    overlays, _note, exports, *_ = reviewer.predict(fn_index=run_files)
    shown = [item["image"]["path"] for item in overlays] + [item["path"] for item in exports]
    assert len(shown) == 3  # the overlay, the CSV and the JSON
    for index in range(40):  # other reviewers' uploads: 40 scans of 100 KB, past the 1 MB limit
        scan = tmp_path / f"scan_{index}.png"
        Image.frombytes("L", (320, 320), os.urandom(320 * 320)).save(scan)  # noise: it does not compress
        with scan.open("rb") as file:
            httpx.post(f"{url}gradio_api/upload", files={"files": file}).raise_for_status()
    cache = app.upkeep.folders()
    assert sum(f.size for f in cached_files(cache)) > 1 * 2**20

    app.upkeep.sweep_now(now=time.time() + GRACE_S + 1)

    assert sum(f.size for f in cached_files(cache)) <= 1 * 2**20
    for path in shown:
        assert httpx.get(f"{url}gradio_api/file={path}").status_code == 200, path
    reviewer.close()


@pytest.mark.slow
def test_a_closed_page_is_forgotten_and_an_open_one_kept(small_cache_app):
    from gradio_client import Client

    from ui.server_upkeep import CLOSED_SESSION_KEEP_S

    app, url = small_cache_app
    sessions = app.blocks.state_holder.session_data
    staying, leaving = Client(url, verbose=False), Client(url, verbose=False)
    for client in (staying, leaving):  # an event gives the page its server-side session
        with pytest.raises(Exception, match="Upload a document"):
            client.predict(None, ["tesseract"], "", api_name="/run_arena")
    leaving.close()  # its heartbeat ends, as when a tab is closed
    deadline = time.monotonic() + 30
    while not sessions[leaving.session_hash].is_closed and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sessions[leaving.session_hash].is_closed

    app.upkeep.forget_finished_sessions(now=datetime.datetime.now() + datetime.timedelta(seconds=10))
    assert leaving.session_hash in sessions  # a reload or a dropped connection may still come back
    app.upkeep.forget_finished_sessions(
        now=datetime.datetime.now() + datetime.timedelta(seconds=CLOSED_SESSION_KEEP_S + 1))
    assert leaving.session_hash not in sessions
    assert staying.session_hash in sessions  # open, and idle for less than the age limit
    staying.close()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_glibc_takes_the_fixed_mmap_threshold():
    # In a child process: the setting holds for the rest of the process that makes it.
    check = ("from backends.runtime.native_heap import keep_large_buffers_returnable as fix; "
             "raise SystemExit(0 if fix() else 1)")
    assert subprocess.run([sys.executable, "-c", check], cwd=ROOT).returncode == 0
