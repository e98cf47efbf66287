import pytest
from PIL import Image

from core.documents import DocumentError, display_copy, load_image
from tests.conftest import PHOTOTEST


def test_reads_a_tiff_page_fully():
    image = load_image(PHOTOTEST)
    assert image.size == (640, 480)
    assert display_copy(image).mode == "RGB"


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp"])
def test_reads_each_supported_format(tmp_path, suffix):
    path = tmp_path / f"page{suffix}"
    Image.new("RGB", (30, 20), "white").save(path)
    assert load_image(path).size == (30, 20)


def test_empty_corrupt_unsupported_and_missing_files_give_clear_errors(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(DocumentError, match="empty.png is empty"):
        load_image(empty)
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    with pytest.raises(DocumentError, match="corrupt.jpg is not a readable image"):
        load_image(corrupt)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(DocumentError, match="unsupported file type '.txt'"):
        load_image(text)
    with pytest.raises(DocumentError, match="File not found"):
        load_image(tmp_path / "nowhere.png")


def test_too_many_pixels_or_bytes_are_refused(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (4000, 3000)).save(path)
    with pytest.raises(DocumentError, match=r"4000×3000 px \(12 MP\); the limit is 10 MP"):
        load_image(path, max_pixels=10_000_000)
    with pytest.raises(DocumentError, match="the limit is 0 MB"):
        load_image(path, max_bytes=10)
