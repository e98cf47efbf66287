"""The Layout task end to end: a document parser behind an OpenAI-compatible endpoint answers a layout sample page
in dots.ocr's format; the benchmark parses and scores it against the page's layout truth, and the arena draws its
boxes, renders it as a document, counts its elements and, on a bundled layout page, scores it the same way. A reply
that is not layout is shown raw, never raised."""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from backends.config import parse_config
from backends.contracts.results import Status
from backends.pool import ModelPool
from benchmarks.runner import BenchmarkSettings, run_benchmark
from core.arena_run import ArenaRun
from core.arena_session import ArenaSession
from core.dataset import load_dataset
from core.layout.resize import DOTS_OCR_RULE, smart_resize
from tests.conftest import SAMPLES

PAGES = SAMPLES / "layout_pages"


def dots_reply(item, elements=None) -> str:
    """The page's own truth (or `elements` on it) written as dots.ocr writes it: boxes in pixels of the image after
    its smart_resize."""
    image = Image.open(item.image_path)
    height, width = smart_resize(image.height, image.width, DOTS_OCR_RULE)
    sx, sy = width / image.width, height / image.height
    cells = [{"bbox": [round(e.box[0] * sx), round(e.box[1] * sy), round(e.box[2] * sx), round(e.box[3] * sy)],
              "category": e.category, **({"text": e.text} if e.category != "Picture" else {})}
             for e in (item.gt_layout if elements is None else elements)]
    return json.dumps(cells, ensure_ascii=False)


class Replies(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that streams the server's `reply` in a few chunks."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        reply = self.server.reply
        for start in range(0, len(reply), 400):
            piece = {"choices": [{"index": 0, "delta": {"content": reply[start:start + 400]}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(piece)}\n\n".encode())
        self.wfile.write(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def parser_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Replies)
    httpd.daemon_threads, httpd.reply = True, ""
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def pool_for(server) -> ModelPool:
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    return ModelPool(parse_config({"models": [
        {"key": "tesseract_eng", "name": "Tesseract", "engine": "tesseract", "tasks": ["ocr", "layout"],
         "options": {"lang": "eng"}},
        {"key": "dots_remote", "name": "dots.ocr (remote)", "engine": "openai", "endpoint": url,
         "weights": "rednote-hilab/dots.ocr", "tasks": ["ocr", "layout"], "layout_format": "dots_ocr",
         "prompts": {"layout": "Please output the layout information from the PDF image."}},
    ]}))


def first_page_served(server):
    """The first layout sample page, the server set to answer its truth in dots.ocr's format, and a pool for it."""
    [item] = load_dataset(PAGES).limited(1).items
    server.reply = dots_reply(item)
    return item, Image.open(item.image_path).convert("RGB"), pool_for(server)


def arena_layout_run(pool: ModelPool, item, image, keys: list[str], truth: str = "") -> ArenaRun:
    """A Layout run of `keys` on the page, driven as the arena tab drives it."""
    run = ArenaRun(document=item.image_path.name, ground_truth=truth, task="layout")
    for _ in ArenaSession(run, keys, [(1, image)]).events(pool):
        pass
    return run


def test_a_perfect_layout_reply_scores_near_the_top_and_garbage_scores_low_without_raising(parser_server):
    dataset = load_dataset(PAGES).limited(1)
    [item] = dataset.items
    assert item.gt_layout and any(e.category == "Table" for e in item.gt_layout) and item.gt_tests
    pool = pool_for(parser_server)
    try:
        parser_server.reply = dots_reply(item)
        [row] = run_benchmark(pool, ["dots_remote"], dataset, BenchmarkSettings(task="layout")).rows
        assert row["status"] == "ok" and row["layout_problem"] == ""
        assert row["layout_elements"] == len(item.gt_layout)
        assert row["table_teds"] == pytest.approx(1.0) and row["page_tests_passed"] == 1.0
        assert row["layout_text_ed"] < 0.02 and row["layout_overall"] > 98
        parser_server.reply = "I am sorry, I cannot see any layout here {"
        [bad] = run_benchmark(pool, ["dots_remote"], dataset, BenchmarkSettings(task="layout")).rows
        assert bad["status"] == "ok" and bad["layout_problem"]  # the reason, in words
        assert bad["layout_overall"] < 20 and bad["table_teds"] == 0
    finally:
        pool.close()


def test_the_arena_draws_the_boxes_renders_the_table_and_counts_the_elements(parser_server):
    from ui.arena_layout import element_counts, layout_documents, layout_gallery, parsed_layouts
    from ui.arena_view import comparison_table

    item, image, pool = first_page_served(parser_server)
    try:
        run = arena_layout_run(pool, item, image, ["dots_remote", "tesseract_eng"])
        assert {r.status for r in run.results.values()} == {Status.OK}
        layouts = parsed_layouts(pool.config, run, image)
    finally:
        pool.close()
    parsed = layouts["dots_remote"]
    assert parsed.ok and len(parsed.elements) == len(item.gt_layout)
    # Mapped back onto the page: every box within a pixel or two of the truth's.
    for got, truth in zip(parsed.elements, item.gt_layout):
        assert max(abs(a - b) for a, b in zip(got.box, truth.box)) <= 2
    assert not layouts["tesseract_eng"].elements[0].box  # plain text read as Markdown: elements, no boxes
    names = {"dots_remote": "dots.ocr (remote)", "tesseract_eng": "Tesseract"}
    gallery = layout_gallery(image, layouts, names, "en")
    assert [caption for _, caption in gallery] == ["dots.ocr (remote)", "dots.ocr (remote) · reading order"]
    assert gallery[0][0].size == image.size and gallery[0][0].tobytes() != image.tobytes()
    documents = layout_documents(layouts, names, "en")
    assert "<table" in documents and "<math" in documents and "Tesseract" in documents
    counts = {key: element_counts(layout, "en") for key, layout in layouts.items()}
    assert "Table 1" in counts["dots_remote"] or "Table 2" in counts["dots_remote"]
    frame = comparison_table(run, "ru", {key: element_counts(layout, "ru") for key, layout in layouts.items()})
    assert "элементы" in frame.columns and "Таблица" in frame.iloc[list(run.results).index("dots_remote")]["элементы"]
    assert "TEDS таблиц" not in frame.columns  # no layout truth given: no layout columns


def test_a_bundled_layout_page_is_found_by_its_bytes_and_scores_each_reply(parser_server, tmp_path):
    from ui.arena_layout import layout_scores, parsed_layouts, sample_truth
    from ui.arena_view import comparison_table

    item, image, pool = first_page_served(parser_server)
    copy = tmp_path / "picked.png"  # a picked sample reaches the app as a copy in Gradio's cache
    copy.write_bytes(item.image_path.read_bytes())
    truth = sample_truth(str(copy), "layout", [(1, image)])
    assert truth is not None and truth.elements == item.gt_layout and len(truth.tests) == 8
    assert sample_truth(str(copy), "ocr", [(1, image)]) is None  # only the Layout task is scored as layout
    assert sample_truth(str(copy), "layout", [(1, image), (2, image)]) is None
    assert sample_truth(str(SAMPLES / "en_printed_pages" / "images" / "tesseract_phototest.tif"), "layout",
                        [(1, image)]) is None
    try:
        run = arena_layout_run(pool, item, image, ["dots_remote", "tesseract_eng"])
        scores = layout_scores(parsed_layouts(pool.config, run, image), truth)
    finally:
        pool.close()
    assert scores["dots_remote"]["table_teds"] == pytest.approx(1.0)
    assert scores["dots_remote"]["reading_order_ed"] == 0.0 and scores["dots_remote"]["page_tests_passed"] == 1.0
    assert scores["tesseract_eng"]["table_teds"] == 0.0  # plain text: the page's table is missed
    frame = comparison_table(run, "en", layout_scores=scores)
    rows = {row["model"]: row for row in frame.to_dict("records")}
    assert rows["dots.ocr (remote)"]["table TEDS"] == "1.000" and rows["Tesseract"]["table TEDS"] == "0.000"
    assert rows["dots.ocr (remote)"]["page tests passed"] == "1.000"
    run.layout_scores = scores  # as the arena sets them: the run's JSON and both exports carry them too
    exported = {row["key"]: row for row in run.to_json()["models"]}
    assert exported["dots_remote"]["table_teds"] == pytest.approx(1.0)
    assert exported["tesseract_eng"]["page_tests_passed"] == pytest.approx(scores["tesseract_eng"]["page_tests_passed"],
                                                                          abs=1e-4)
    csv_path = next(p for p in run.export(tmp_path / "export") if p.endswith(".csv"))
    assert "table_teds" in open(csv_path, encoding="utf-8").readline()


@pytest.mark.slow
def test_in_a_browser_the_boxes_and_the_rendered_table_appear(parser_server, playwright, tmp_path):
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, serving

    [item] = load_dataset(PAGES).limited(1).items
    parser_server.reply = dots_reply(item)
    config = pool_for(parser_server).config
    config = config.model_copy(update={"app": config.app.model_copy(update={"default_models": ["dots_remote"]})})
    with serving(config) as url:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            locale="en-US", viewport={"width": 1400, "height": 1600})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(url)
            page.get_by_role("button", name="Run").wait_for(timeout=TIMEOUT_MS)
            page.locator("#arena-document input[type=file]").set_input_files(str(item.image_path))
            page.locator("#arena-preview img").wait_for(timeout=TIMEOUT_MS)
            page.locator("#arena-task").get_by_text("Layout").click()
            page.get_by_role("button", name="Run").click()
            page.locator("#arena-layout-docs table").first.wait_for(timeout=TIMEOUT_MS)
            page.locator("#arena-layout-docs math").first.wait_for(timeout=TIMEOUT_MS)
            assert page.locator("#arena-overlays img").count() >= 2  # the boxes, then the reading order
            assert page.locator("#arena-table").get_by_text("Table 1").count() >= 1
        finally:
            context.close()


def test_a_layout_reply_is_scored_on_its_text_not_its_json(parser_server):
    from ui.arena_layout import layout_text, parsed_layouts

    item, image, pool = first_page_served(parser_server)
    try:
        run = arena_layout_run(pool, item, image, ["dots_remote"], truth=item.gt_text)
        raw_cer = run.scores("dots_remote")["cer"]
        run.score_as_text({k: layout_text(v) for k, v in parsed_layouts(pool.config, run, image).items()})
        read_cer = run.scores("dots_remote")["cer"]
    finally:
        pool.close()
    assert raw_cer > 0.5 and read_cer < 0.1  # the JSON's keys and boxes count as errors; the text read does not


def arena_table(url: str, document, keys: list[str]) -> dict[str, dict[str, str]]:
    """A Layout run through the arena's public API: its comparison table, model name -> header -> cell."""
    from gradio_client import Client, handle_file

    outputs = Client(url, verbose=False).predict(handle_file(str(document)), keys, "", "layout", "1", "words",
                                                 api_name="/run_arena")
    table = outputs[1]["value"] if "visible" in outputs[1] else outputs[1]
    return {row[0]: dict(zip(table["headers"], row)) for row in table["data"]}


@pytest.mark.slow
def test_the_arena_scores_a_reply_against_a_bundled_pages_layout_truth(parser_server, tmp_path):
    from core.layout.reading import layout_truth
    from core.layout.scoring import teds
    from tests.conftest import serving

    item, _, pool = first_page_served(parser_server)
    pool.close()
    elements = list(item.gt_layout)
    [t] = [n for n, e in enumerate(elements) if e.category == "Table"]
    [a, b] = [n for n, e in enumerate(elements) if e.text.startswith(("• replacement", "• night-time"))]
    assert b == a + 1 and len(layout_truth(item).tests) == 8
    # The same page, its table's last row lost and two list items read in the wrong order.
    cut_table = elements[t].text[:elements[t].text.rindex("<tr>")] + "</table>"
    changed = [*elements[:t], replace(elements[t], text=cut_table), *elements[t + 1:a], elements[b], elements[a],
               *elements[b + 1:]]
    # Another document: the same picture, other bytes. It has no layout truth, so no layout columns.
    other = tmp_path / "not_a_sample.png"
    Image.open(item.image_path).save(other, compress_level=1)
    assert other.read_bytes() != item.image_path.read_bytes()
    headers = ("layout overall", "table TEDS", "reading order (edit dist.)", "page tests passed")
    with serving(pool_for(parser_server).config) as url:
        perfect = arena_table(url, item.image_path, ["dots_remote"])["dots.ocr (remote)"]
        parser_server.reply = dots_reply(item, changed)
        flawed = arena_table(url, item.image_path, ["dots_remote"])["dots.ocr (remote)"]
        elsewhere = arena_table(url, other, ["dots_remote"])["dots.ocr (remote)"]
    assert [perfect[h] for h in headers[1:]] == ["1.000", "0.000", "1.000"]
    assert float(perfect["layout overall"]) > 98
    # Two neighbours swapped: the two orders differ in 2 of 17 places, edit distance 2/17; the page's "A before B"
    # test on those list items fails, 7 of its 8 tests pass.
    assert float(flawed["reading order (edit dist.)"]) == pytest.approx(2 / len(elements), abs=5e-4)
    assert flawed["page tests passed"] == "0.875"
    expected_teds = teds(cut_table, elements[t].text)
    assert expected_teds < 0.95 and float(flawed["table TEDS"]) == pytest.approx(expected_teds, abs=5e-4)
    assert float(flawed["layout overall"]) < float(perfect["layout overall"])
    assert not any(h in elsewhere for h in headers) and elsewhere["status"] == "done"
