"""Every message names the file (or the image's size) and the problem in words, without Python internals."""
import re

import pytest
from PIL import Image

from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult, Status
from backends.engines.rapidocr.engine import too_thin_to_read
from backends.pool import ModelPool
from core.documents import DocumentError, load_pages

# `<_io.BytesIO object at 0x7fa0…>`, and a library exception's module path such as
# `rapidocr.utils.process_img.ResizeImgError`.
INTERNALS = re.compile(r"object at 0x|\b[a-z_]\w*(\.[a-z_]\w*)+\.[A-Z]\w*(Error|Exception)\b|Traceback")


def assert_in_words(message: str) -> None:
    assert not INTERNALS.search(message), message


UNREADABLE = [
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "its PNG data is damaged or cut short"),
    ("contract.png", b"PK\x03\x04" + b"\x00\x14" * 40, "it looks like a ZIP archive"),
    ("invoice.jpg", b"%PDF-1.7\n" + b"1 0 obj" * 10, "it is a PDF; give it the .pdf extension"),
    ("notes.tif", b"meeting notes, not a scan\n" * 4, "it looks like a text file"),
    ("download.png", bytes(300), "it holds only zero bytes"),
    ("empty.png", b"", "empty.png is empty (0 bytes)"),
    ("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "it is a PNG image, not a PDF"),
    ("empty.pdf", b"", "empty.pdf is empty (0 bytes)"),
]


@pytest.mark.parametrize("name, content, reason", UNREADABLE, ids=[case[0] for case in UNREADABLE])
def test_an_unreadable_upload_is_named_with_what_it_looks_like(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as error:
        load_pages(path)
    message = str(error.value)
    assert message.startswith(name) and reason in message
    assert_in_words(message)


def test_the_rapidocr_size_check_agrees_with_rapidocr_rounding():
    # rapidocr fits the long side to max_side, then rounds the short side to a multiple of 32 (half to even).
    for long_side in range(2001, 9000, 13):
        for short_side in range(1, 80):
            fitted = int(short_side * (2000 / long_side))
            fails_in_rapidocr = round(fitted / 32) == 0
            assert (too_thin_to_read(long_side, short_side, 2000) is not None) == fails_in_rapidocr
    assert too_thin_to_read(2000, 1, 2000) is None  # fits as it is: nothing is shrunk


@pytest.mark.slow
@pytest.mark.parametrize("size", [(20000, 10), (10, 20000), (4000, 30)])
def test_an_extreme_page_shape_through_the_real_engines(config, size):
    pool = ModelPool(config)
    try:
        results = {key: event for key, event in pool.run_many(["tesseract", "rapidocr"],
                                                              PageRequest(Image.new("L", size, 255), "ocr"))
                   if isinstance(event, ModelResult)}
    finally:
        pool.close()
    assert results["tesseract"].status == Status.OK  # a blank strip: no text, and no error
    rapid = results["rapidocr"]
    assert rapid.status == Status.ERROR
    assert f"{size[0]}×{size[1]} px" in rapid.message and "the short side would be" in rapid.message
    assert "ResizeImgError" not in rapid.message
    assert_in_words(rapid.message)


@pytest.mark.slow
def test_unreadable_uploads_through_the_arena_api(served_app, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(served_app, verbose=False)
    for name, content, reason in UNREADABLE[:2] + UNREADABLE[5:6]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(Exception) as error:
            client.predict(handle_file(str(path)), ["tesseract", "rapidocr"], "", api_name="/run_arena")
        assert name in str(error.value) and reason in str(error.value)
        assert_in_words(str(error.value))
    client.close()
