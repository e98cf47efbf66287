"""PDF documents: page selection, all pages, and clear errors for encrypted, corrupt and over-limit files."""
import pytest
from gradio_client import Client, handle_file
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfWriter

from core.documents import ALL_PAGES, DocumentError, load_pages, pdf_page_count

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PAGE_WORDS = ["Invoice alpha", "Delivery bravo", "Receipt charlie"]


def text_page(words: str) -> Image.Image:
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    ImageDraw.Draw(page).text((120, 200), words, fill="black", font=ImageFont.truetype(DEJAVU, 64))
    return page


@pytest.fixture(scope="module")
def three_pages(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "three.pdf"
    pages = [text_page(words) for words in PAGE_WORDS]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=150)
    return path


def test_pages_are_picked_one_or_all(three_pages):
    assert pdf_page_count(three_pages) == 3
    [(number, page)] = load_pages(three_pages, "2", dpi=100)
    assert number == 2 and page.size[0] == 827 and abs(page.size[1] - 1169) <= 1  # A4 at 100 dpi
    assert [n for n, _ in load_pages(three_pages, ALL_PAGES, dpi=50)] == [1, 2, 3]


def test_bad_pdfs_are_refused_with_the_reason(three_pages, tmp_path):
    with pytest.raises(DocumentError, match="has 3 pages; reading all pages is limited to 2"):
        load_pages(three_pages, ALL_PAGES, max_pages=2)
    assert len(load_pages(three_pages, "3", max_pages=2, dpi=50)) == 1  # one page of a long PDF is fine
    with pytest.raises(DocumentError, match="there is no page 4"):
        load_pages(three_pages, "4")

    locked = PdfWriter(clone_from=three_pages)
    locked.encrypt("secret", algorithm="RC4-128")
    locked.write(tmp_path / "locked.pdf")
    with pytest.raises(DocumentError, match="locked.pdf is encrypted"):
        load_pages(tmp_path / "locked.pdf", "1")

    (tmp_path / "broken.pdf").write_bytes(three_pages.read_bytes()[:400])
    with pytest.raises(DocumentError, match="broken.pdf is not a readable PDF"):
        load_pages(tmp_path / "broken.pdf", "1")
    with pytest.raises(DocumentError, match="too large|limit is 1 MP"):
        load_pages(three_pages, "1", dpi=300, max_pixels=1_000_000)


@pytest.mark.slow
def test_the_arena_reads_one_page_or_all_pages(served_app, three_pages, tmp_path):
    client = Client(served_app, verbose=False)
    report = client.predict(handle_file(str(three_pages)), ["tesseract"], "", "ocr", "2", api_name="/run_arena")[0]
    assert report["pages"] == [2]
    [model] = report["models"]
    assert "bravo" in model["text"] and "alpha" not in model["text"]

    truth = "\n".join(PAGE_WORDS)
    report = client.predict(handle_file(str(three_pages)), ["tesseract", "rapidocr"], truth, "ocr", "all",
                            api_name="/run_arena")[0]
    assert report["pages"] == [1, 2, 3]
    for model in report["models"]:
        assert model["status"] == "ok" and model["page"] == "1-3"
        text = model["text"]
        assert text.index("--- 1/3 ---") < text.index("alpha") < text.index("--- 2/3 ---") < text.index("bravo")
        assert model["cer"] < 0.1  # scored on the pages' texts, without their headers
    per_page = {p["page"]: {m["key"]: m for m in p["models"]} for p in report["page_results"]}
    assert "charlie" in per_page[3]["rapidocr"]["text"].lower()
    assert sum(per_page[n]["tesseract"]["chars"] for n in (1, 2, 3)) == report["models"][0]["chars"]

    many = tmp_path / "long.pdf"
    blank = Image.new("RGB", (100, 100), "white")
    blank.save(many, save_all=True, append_images=[blank] * 30)
    with pytest.raises(Exception, match="long.pdf has 31 pages; reading all pages is limited to 30"):
        client.predict(handle_file(str(many)), ["tesseract"], "", "ocr", "all", api_name="/run_arena")
