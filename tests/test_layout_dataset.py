"""Layout ground truth in datasets: the gt_layout/gt_tests columns and files, their problems, the bundled layout sets,
and the Chromium generator measuring what it drew."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from core.dataset import load_dataset
from core.layout.elements import CATEGORIES, LayoutElement
from tests.conftest import PHOTOTEST, PHOTOTEST_GT, SAMPLES

TABLE = '<table><tr><th colspan="2">Total</th></tr><tr><td>a</td><td>1</td></tr></table>'
LAYOUT = [{"category": "Title", "bbox": [10, 12, 180, 30], "text": "Report"},
          {"category": "Table", "bbox": [10, 40, 190, 90.5], "text": TABLE},
          {"category": "Formula", "bbox": [20, 95, 120, 99], "text": r"E = mc^{2}", "format": "latex"},
          {"category": "Text", "bbox": [0, 0, 200, 100], "text": "**bold**", "format": "markdown",
           "label": "abstract"}]
TESTS = [{"type": "present", "text": "Report", "max_diffs": 0}, {"type": "absent", "text": "Rapport"},
         {"type": "order", "before": "Report", "after": "Total"}]


def write_json(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")


def layout_dataset(folder, layout=LAYOUT, tests=TESTS, rows=("page.png,page.layout.json,page.tests.json",)):
    """A 200×100 image with a manifest of `rows` (image,gt_layout,gt_tests) and the two files beside it."""
    Image.new("RGB", (200, 100), "white").save(folder / "page.png")
    write_json(folder / "page.layout.json", layout)
    write_json(folder / "page.tests.json", tests)
    (folder / "manifest.csv").write_text("image,gt_layout,gt_tests\n" + "\n".join(rows) + "\n")
    return load_dataset(folder)


def test_the_manifest_columns_load_into_layout_elements_with_boxes_and_raw_tests(tmp_path):
    [item] = layout_dataset(tmp_path).items
    assert not item.problem and item.has_truth and item.gt_text is None
    assert item.gt_layout == [
        LayoutElement("Title", "Report", "text", (10, 12, 180, 30)),
        LayoutElement("Table", TABLE, "html", (10, 40, 190, 90.5)),  # tables default to HTML
        LayoutElement("Formula", r"E = mc^{2}", "latex", (20, 95, 120, 99)),
        LayoutElement("Text", "**bold**", "markdown", (0, 0, 200, 100), "abstract")]
    assert item.gt_tests == TESTS


def test_a_folder_without_a_manifest_finds_the_files_beside_the_image(tmp_path):
    Image.new("RGB", (200, 100), "white").save(tmp_path / "scan.png")
    write_json(tmp_path / "scan.layout.json", LAYOUT[:1])
    write_json(tmp_path / "scan.tests.json", TESTS[:1])
    Image.new("RGB", (200, 100), "white").save(tmp_path / "other.png")
    other, scan = load_dataset(tmp_path).items
    assert scan.item_id == "scan.png" and scan.gt_layout[0].box == (10, 12, 180, 30)
    assert scan.gt_tests == TESTS[:1] and scan.has_truth
    assert other.gt_layout is None and other.gt_tests is None and not other.has_truth


def test_an_empty_layout_is_truth_for_a_blank_page(tmp_path):
    [item] = layout_dataset(tmp_path, layout=[], tests=[]).items
    assert item.gt_layout == [] and item.gt_tests == [] and item.has_truth


@pytest.mark.parametrize("layout, expected", [
    ("{not json", "layout ground truth page.layout.json is not valid JSON (line 1, column 2:"),
    ({"elements": []}, "layout ground truth page.layout.json must be a JSON list of elements"),
    (["Title"], "page.layout.json, element 1 must be an object with a category and a bbox"),
    ([LAYOUT[0], {"category": "Heading", "bbox": [0, 0, 1, 1]}],
     "page.layout.json, element 2: category 'Heading' is not one of Caption, Footnote,"),
    ([{"category": "Text", "bbox": [0, 0, 10]}], "element 1: bbox must be four numbers [x0, y0, x1, y1]"),
    ([{"category": "Text"}], "element 1: bbox must be four numbers"),
    ([{"category": "Text", "bbox": [0, 0, "10", 5]}], "element 1: bbox must be four numbers"),
    ([{"category": "Text", "bbox": [50, 0, 10, 5]}], "element 1: bbox [50, 0, 10, 5] has its right or bottom edge"),
    ([{"category": "Text", "bbox": [0, 0, 10, 5], "format": "rtf"}],
     "element 1: format 'rtf' is not one of text, markdown, html, latex"),
    ([{"category": "Text", "bbox": [0, 0, 10, 5], "text": 7}], "element 1: its text and label must be strings"),
    ([LAYOUT[0], {"category": "Text", "bbox": [0, 0, 1000, 1000]}],
     "page.layout.json, element 2: its box [0, 0, 1000, 1000] reaches past the image (200×100 px)"),
])
def test_a_malformed_layout_file_is_a_problem_naming_the_file_and_the_fault(tmp_path, layout, expected):
    if isinstance(layout, str):
        Image.new("RGB", (200, 100), "white").save(tmp_path / "page.png")
        (tmp_path / "page.layout.json").write_text(layout)
        (tmp_path / "manifest.csv").write_text("image,gt_layout\npage.png,page.layout.json\n")
        [item] = load_dataset(tmp_path).items
    else:
        [item] = layout_dataset(tmp_path, layout=layout).items
    assert item.problem.startswith("manifest.csv line 2: ") and expected in item.problem
    assert "Traceback" not in item.problem and "Error" not in item.problem


@pytest.mark.parametrize("tests, expected", [
    ({"type": "present"}, "page tests page.tests.json must be a JSON list of tests"),
    ([{"text": "x"}], "page tests page.tests.json, test 1 must be an object with a \"type\""),
    ([TESTS[0], {"type": "order", "before": "a"}], "test 2 (order) has no text for 'after'"),
    ([{"type": "present", "text": 5}], "test 1 (present) has no text for 'text'"),
])
def test_a_malformed_tests_file_is_a_problem_naming_the_file_and_the_fault(tmp_path, tests, expected):
    [item] = layout_dataset(tmp_path, tests=tests).items
    assert item.problem.startswith("manifest.csv line 2: ") and expected in item.problem


def test_a_test_of_a_type_the_loader_does_not_know_is_kept_for_the_scorer(tmp_path):
    [item] = layout_dataset(tmp_path, tests=[{"type": "table", "cell": "1", "up": "Total"}]).items
    assert not item.problem and item.gt_tests == [{"type": "table", "cell": "1", "up": "Total"}]


def test_missing_files_are_problems_and_the_other_rows_still_load(tmp_path):
    dataset = layout_dataset(tmp_path, rows=("page.png,page.layout.json,page.tests.json",
                                             "page.png,gone.layout.json,", "page.png,,gone.tests.json"))
    good, no_layout, no_tests = dataset.items
    assert not good.problem and len(good.gt_layout) == 4
    assert no_layout.problem == "manifest.csv line 3: layout ground truth gone.layout.json not found"
    assert no_tests.problem == "manifest.csv line 4: page tests gone.tests.json not found"


def test_a_pdf_takes_page_tests_but_not_layout_boxes(tmp_path):
    Image.new("RGB", (300, 400), "white").save(tmp_path / "one.pdf")
    write_json(tmp_path / "one.tests.json", TESTS)
    [item] = load_dataset(tmp_path).items
    assert item.item_id == "one.pdf#p1" and item.gt_tests == TESTS and not item.problem

    write_json(tmp_path / "one.layout.json", LAYOUT[:1])
    [item] = load_dataset(tmp_path).items
    assert "one.pdf is a PDF, and layout ground truth needs an image" in item.problem

    pages = [Image.new("RGB", (300, 400), "white") for _ in range(2)]
    pages[0].save(tmp_path / "two.pdf", save_all=True, append_images=pages[1:])
    write_json(tmp_path / "two.tests.json", TESTS)
    two = next(i for i in load_dataset(tmp_path).items if i.item_id.startswith("two.pdf"))
    assert two.problem == "two.pdf: page tests are for one page, and two.pdf has 2"


def test_old_format_datasets_load_unchanged(tmp_path):
    for name, count in (("en_printed_pages", 20), ("ru_licences", 6)):
        dataset = load_dataset(SAMPLES / name)
        assert len(dataset.items) == count and not dataset.problems
        assert all(i.gt_layout is None and i.gt_tests is None and i.has_truth for i in dataset.items)
    shutil.copy(PHOTOTEST, tmp_path / "page.tif")
    shutil.copy(PHOTOTEST_GT, tmp_path / "page.txt")
    [item] = load_dataset(tmp_path).items
    assert item.gt_text == PHOTOTEST_GT.read_text(encoding="utf-8") and item.gt_layout is None


def boxes_inside_their_images(dataset):
    for item in dataset.items:
        width, height = Image.open(item.image_path).size
        for element in item.gt_layout:
            x0, y0, x1, y1 = element.box
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (item.item_id, element)


def test_the_generated_layout_set_loads_with_boxes_inside_its_images():
    dataset = load_dataset(SAMPLES / "layout_pages")
    assert len(dataset.items) == 6 and not dataset.problems
    assert {i.language for i in dataset.items} == {"en", "ru"}
    boxes_inside_their_images(dataset)
    for item in dataset.items:
        assert item.gt_text and item.gt_tests and Image.open(item.image_path).size == (1000, 1300)
        categories = [e.category for e in item.gt_layout]
        assert categories[0] == "Page-header" and categories[-1] == "Page-footer"
        assert {"Title", "Section-header", "Text", "Table", "Caption"} <= set(categories), item.item_id
        assert all(e.text.startswith("<table") and e.format == "html" for e in item.gt_layout if e.category == "Table")
    found = {e.category for i in dataset.items for e in i.gt_layout}
    assert found >= set(CATEGORIES)  # all eleven somewhere in the set
    tables = [e.text for i in dataset.items for e in i.gt_layout if e.category == "Table"]
    assert any("colspan" in t for t in tables) and any("rowspan" in t for t in tables)
    formulas = [e for i in dataset.items for e in i.gt_layout if e.category == "Formula"]
    assert formulas and all(f.format == "latex" and "\\" in f.text for f in formulas)


def test_the_generated_page_tests_hold_for_their_own_page_text():
    for item in load_dataset(SAMPLES / "layout_pages").items:
        text = " ".join(item.gt_text.split())
        for test in item.gt_tests:
            if test["type"] == "order":
                assert 0 <= text.find(test["before"]) < text.find(test["after"]), test
            else:
                assert (test["text"] in text) == (test["type"] == "present"), test


def test_the_docbank_layout_set_loads_with_boxes_inside_its_images():
    dataset = load_dataset(SAMPLES / "layout_docbank")
    assert len(dataset.items) == 2 and not dataset.problems
    boxes_inside_their_images(dataset)
    title_page, list_page = (next(i for i in dataset.items if f"docbank_{n}_" in i.item_id) for n in (40, 106))
    assert title_page.gt_layout[0].category == "Title" and title_page.gt_layout[0].label == "title"
    assert [e.category for e in list_page.gt_layout].count("List-item") == 7
    assert list_page.gt_layout[-1] == LayoutElement("Page-footer", "5", "text", (828, 2079, 846, 2113), "paragraph")


def manifest_for(folder, row):
    """A manifest.csv in `folder` holding just the generator's row."""
    columns = ("image", "gt_text", "gt_layout", "gt_tests")
    (folder / "manifest.csv").write_text(",".join(columns) + "\n" + ",".join(row[c] for c in columns) + "\n")


@pytest.mark.slow
def test_the_generator_boxes_are_what_chromium_drew(playwright, tmp_path):
    from scripts.make_layout_samples import PAGES, launch_browser, render_page

    browser = launch_browser(playwright)
    try:
        # Russian, two columns, a formula, and a rowspan table whose border Chromium snaps outside its layout box.
        row = render_page(browser, next(p for p in PAGES if p.name == "02_ru_library_report"), tmp_path)
    finally:
        browser.close()
    manifest_for(tmp_path, row)
    [item] = load_dataset(tmp_path).items
    assert not item.problem
    grey = np.asarray(Image.open(item.image_path).convert("L"))
    table = next(e for e in item.gt_layout if e.category == "Table")
    x0, y0, x1, y1 = (int(v) for v in table.box)
    # The table's outer border is drawn just inside its box: dark along each edge, page background just outside.
    assert (grey[y0:y0 + 3, x0 + 5:x1 - 5].min(axis=0) < 128).all()  # top border
    assert (grey[y1 - 3:y1, x0 + 5:x1 - 5].min(axis=0) < 128).all()  # bottom border
    assert (grey[y0 + 5:y1 - 5, x0:x0 + 3].min(axis=1) < 128).all()  # left border
    assert (grey[y0 + 5:y1 - 5, x1 - 3:x1].min(axis=1) < 128).all()  # right border
    assert (grey[y0 - 4:y0, x0 - 4:x1 + 4] == 255).all() and (grey[y1:y1 + 4, x0 - 4:x1 + 4] == 255).all()
    assert (grey[y0:y1, x0 - 4:x0] == 255).all() and (grey[y0:y1, x1:x1 + 4] == 255).all()
    # And nothing dark on the page lies outside every box: no element was missed or measured short.
    covered = np.zeros(grey.shape, bool)
    for element in item.gt_layout:
        bx0, by0, bx1, by1 = (int(v) for v in element.box)
        covered[by0:by1, bx0:bx1] = True
    assert not ((grey < 128) & ~covered).any()
