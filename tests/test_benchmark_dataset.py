"""Benchmark datasets: manifests, folders of images with .txt files, PDFs, bad rows and uploaded zips."""
import shutil
import zipfile

import pytest
from PIL import Image

from core.dataset import DatasetError, extract_dataset_zip, load_dataset
from tests.conftest import PHOTOTEST, PHOTOTEST_GT, SAMPLES


def test_the_bundled_manifests_load_with_their_ground_truth():
    pages = load_dataset(SAMPLES / "en_printed_pages")
    assert len(pages.items) == 20 and not pages.problems
    phototest = next(i for i in pages.items if i.item_id == "images/tesseract_phototest.tif")
    assert phototest.gt_text == PHOTOTEST_GT.read_text(encoding="utf-8")
    assert phototest.language == "en" and phototest.gt_fields is None

    licences = load_dataset(SAMPLES / "ru_licences")
    assert len(licences.items) == 6
    assert licences.items[0].gt_fields["4a"] == "12.07.2019"
    assert licences.items[0].language == "ru"


def test_a_folder_of_images_with_same_named_text_files(tmp_path):
    shutil.copy(PHOTOTEST, tmp_path / "page.tif")
    shutil.copy(PHOTOTEST_GT, tmp_path / "page.txt")
    Image.new("RGB", (200, 100), "white").save(tmp_path / "blank.png")  # no ground truth: still benchmarked
    (tmp_path / "notes.md").write_text("not a document")
    dataset = load_dataset(tmp_path)
    assert [i.item_id for i in dataset.items] == ["blank.png", "page.tif"]
    assert dataset.items[0].gt_text is None and not dataset.items[0].has_truth
    assert dataset.items[1].gt_text == PHOTOTEST_GT.read_text(encoding="utf-8")


def test_a_pdf_is_one_item_per_page_with_form_feed_separated_truth(tmp_path):
    pages = [Image.new("RGB", (300, 400), "white") for _ in range(3)]
    pages[0].save(tmp_path / "doc.pdf", save_all=True, append_images=pages[1:])
    (tmp_path / "doc.txt").write_text("first\fsecond\fthird\f")
    items = load_dataset(tmp_path).items
    assert [(i.item_id, i.page, i.gt_text) for i in items] == [
        ("doc.pdf#p1", 0, "first"), ("doc.pdf#p2", 1, "second"), ("doc.pdf#p3", 2, "third")]

    (tmp_path / "doc.txt").write_text("all pages in one")
    [item] = load_dataset(tmp_path).items
    assert "3 pages but its ground truth has 1" in item.problem


def test_bad_rows_name_the_row_and_the_others_still_load(tmp_path):
    (tmp_path / "images").mkdir()
    shutil.copy(PHOTOTEST, tmp_path / "images" / "good.tif")
    (tmp_path / "gt.txt").write_text("truth")
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "manifest.csv").write_text(
        "image,gt_text,gt_fields,language\n"
        "images/good.tif,gt.txt,,en\n"          # line 2
        "images/missing.png,gt.txt,,en\n"       # line 3
        "images/good.tif,gone.txt,,en\n"        # line 4
        "images/good.tif,,broken.json,en\n"     # line 5
        ",gt.txt,,en\n"                         # line 6
        "images/good.tif,,list.json,en\n")      # line 7
    dataset = load_dataset(tmp_path)
    assert len(dataset.items) == 6
    assert dataset.items[0].gt_text == "truth" and not dataset.items[0].problem
    problems = dataset.problems
    assert problems[0] == "manifest.csv line 3: image images/missing.png not found"
    assert problems[1] == "manifest.csv line 4: ground-truth text gone.txt not found"
    assert problems[2].startswith("manifest.csv line 5: ground-truth fields broken.json are not valid JSON")
    assert problems[3] == "manifest.csv line 6: the 'image' cell is empty"
    assert problems[4] == "manifest.csv line 7: ground-truth fields list.json must be a JSON object"


def test_not_a_dataset_is_refused_with_the_reason(tmp_path):
    with pytest.raises(DatasetError, match="neither a manifest.csv nor any document"):
        load_dataset(tmp_path)
    (tmp_path / "manifest.csv").write_text("file,text\na.png,b\n")
    with pytest.raises(DatasetError, match="no 'image' column"):
        load_dataset(tmp_path)


def test_an_uploaded_zip_unpacks_to_its_dataset_folder(tmp_path):
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(PHOTOTEST, "my_set/page.tif")
        bundle.write(PHOTOTEST_GT, "my_set/page.txt")
    folder = extract_dataset_zip(archive, tmp_path / "unpacked")
    assert folder.name == "my_set"
    assert [i.item_id for i in load_dataset(folder).items] == ["page.tif"]

    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as bundle:
        bundle.writestr("../outside.txt", "x")
    with pytest.raises(DatasetError, match="unsafe path"):
        extract_dataset_zip(tmp_path / "evil.zip", tmp_path / "evil")
    assert not (tmp_path / "outside.txt").exists()
    with pytest.raises(DatasetError, match="not a zip"):
        extract_dataset_zip(PHOTOTEST_GT, tmp_path / "nozip")
    with pytest.raises(DatasetError, match="unpacks to"):
        extract_dataset_zip(archive, tmp_path / "big", max_bytes=1000)


def test_the_benchmark_tab_offers_bundled_and_configured_folders(tmp_path):
    from ui.benchmark_tab import _dataset_label, offered_datasets

    shutil.copy(PHOTOTEST, tmp_path / "page.tif")
    offered = offered_datasets([str(tmp_path), "no/such/folder"])
    bundled = sorted(p.name for p in SAMPLES.iterdir() if (p / "manifest.csv").exists())
    assert list(offered)[:len(bundled)] == bundled and {"en_printed_pages", "ru_licences"} <= set(bundled)
    assert _dataset_label(tmp_path.name, offered[tmp_path.name]) == f"{tmp_path.name} (1)"
    assert "is not a folder" in _dataset_label("folder", offered["folder"])  # shown, not a crash
