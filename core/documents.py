"""Reading user documents into images, with clear errors for files we cannot use."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")
ALL_PAGES = "all"


class DocumentError(ValueError):
    """A document that cannot be read. The message is meant for the user as it is."""


def load_image(path: str | Path, *, max_pixels: int = 60_000_000, max_bytes: int | None = None) -> Image.Image:
    """Open an image file fully into memory, upright (EXIF orientation applied), first frame of a TIFF."""
    path = Path(path)
    if not path.is_file():
        raise DocumentError(f"File not found: {path.name}")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(f"{path.name} is empty (0 bytes).")
    if max_bytes is not None and size > max_bytes:
        raise DocumentError(f"{path.name} is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise DocumentError(
            f"{path.name}: unsupported file type '{path.suffix}'. Use one of: {', '.join(IMAGE_SUFFIXES)}, .pdf."
        )
    try:
        with Image.open(io.BytesIO(path.read_bytes())) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise DocumentError(_too_large(path.name, width, height, max_pixels))
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except DocumentError:
        raise
    except Image.DecompressionBombError:
        raise DocumentError(f"{path.name} is far larger than {max_pixels / 1e6:.0f} MP. Scale it down first.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        # Pillow's own text names its in-memory buffer (`<_io.BytesIO object at 0x…>`): say what the file is instead.
        raise DocumentError(f"{path.name} is not a readable image: {unreadable_image_because(path)}.") from None
    return upright


# The first bytes of what people upload: images, and what they upload by mistake (kinds below).
_SIGNATURES = ((b"PK\x03\x04", "ZIP"), (b"%PDF", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"GIF8", "GIF"), (b"BM", "BMP"))
_NOT_A_DOCUMENT = {
    "empty": "it is empty (0 bytes)",
    "zeros": "it holds only zero bytes (an unfinished download or copy?)",
    "ZIP": "it looks like a ZIP archive (a .zip, .docx or .xlsx file)",
    "HTML": "it looks like a web page (HTML), perhaps an error page saved in place of the file",
    "text": "it looks like a text file",
}


def file_kind(path: Path) -> str:
    """What the file's first bytes say it is: a format name (PNG, PDF, ZIP, ...), HTML, text, zeros, empty or
    unknown."""
    with path.open("rb") as file:
        head = file.read(512)
    if not head:
        return "empty"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if not head.strip(b"\x00"):
        return "zeros"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "HTML"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    return "text"


def unreadable_image_because(path: Path) -> str:
    """Why Pillow could not read `path`, in words."""
    kind = file_kind(path)
    if kind in _NOT_A_DOCUMENT:
        return _NOT_A_DOCUMENT[kind] + ", not an image"
    if kind == "PDF":
        return "it is a PDF; give it the .pdf extension"
    if kind == "unknown":
        return "Pillow does not recognise its contents as any image format"
    return f"its {kind} data is damaged or cut short"


def unreadable_pdf_because(path: Path, pdfium_says: str) -> str:
    """Why pdfium could not read `path`, in words."""
    kind = file_kind(path)
    if kind in _NOT_A_DOCUMENT:
        return _NOT_A_DOCUMENT[kind] + ", not a PDF"
    if kind == "PDF" or kind == "unknown":
        return f"it is damaged or cut short (pdfium: {pdfium_says.rstrip('.')})"
    return f"it is a {kind} image, not a PDF; give it its image extension"


def _too_large(name: str, width: int, height: int, max_pixels: int) -> str:
    return (f"{name} is {width}×{height} px ({width * height / 1e6:.0f} MP); the limit is "
            f"{max_pixels / 1e6:.0f} MP. Scale it down first.")


def display_copy(image: Image.Image, max_side: int = 1600) -> Image.Image:
    """An RGB copy small enough to send to a browser (which cannot show TIFF or 1-bit images anyway)."""
    copy = image.convert("RGB")
    copy.thumbnail((max_side, max_side))
    return copy


def _open_pdf(path: Path):
    """Open a PDF with pdfium, turning its errors (encrypted, corrupt) into messages for the user."""
    import pypdfium2 as pdfium  # only documents that are PDFs need it

    if not path.is_file():
        raise DocumentError(f"File not found: {path.name}")
    if path.stat().st_size == 0:
        raise DocumentError(f"{path.name} is empty (0 bytes).")
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise DocumentError(f"{path.name} is encrypted (password-protected); save an unlocked copy.") from None
        raise DocumentError(f"{path.name} is not a readable PDF: {unreadable_pdf_because(path, str(exc))}.") from None


def _page_count(document, path: Path) -> int:
    if len(document) == 0:
        raise DocumentError(f"{path.name} has no pages.")
    return len(document)


def pdf_page_count(path: str | Path) -> int:
    document = _open_pdf(Path(path))
    try:
        return _page_count(document, Path(path))
    finally:
        document.close()


def _render(document, path: Path, index: int, dpi: float, max_pixels: int) -> Image.Image:
    if not 0 <= index < len(document):
        raise DocumentError(f"{path.name} has {len(document)} pages; there is no page {index + 1}.")
    page = document[index]
    width_pt, height_pt = page.get_size()
    scale = dpi / 72
    width, height = round(width_pt * scale), round(height_pt * scale)
    if width * height > max_pixels:
        raise DocumentError(_too_large(f"{path.name} page {index + 1} at {dpi:g} dpi", width, height, max_pixels))
    return page.render(scale=scale).to_pil().convert("RGB")


def render_pdf_page(path: str | Path, index: int, *, dpi: float = 200, max_pixels: int = 60_000_000) -> Image.Image:
    """Render one page (0-based) to an RGB image at `dpi`."""
    path = Path(path)
    document = _open_pdf(path)
    try:
        return _render(document, path, index, dpi, max_pixels)
    finally:
        document.close()


def is_pdf(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".pdf"


def load_pages(path: str | Path, page: int | str | None = None, *, dpi: float = 200, max_pages: int = 30,
               max_pixels: int = 60_000_000, max_bytes: int | None = None) -> list[tuple[int, Image.Image]]:
    """A document's pages to read, as (1-based page number, image).

    An image is its one page. For a PDF, `page` picks one page (1-based), or `ALL_PAGES` every page; a PDF
    longer than `max_pages` is refused for all pages, naming the limit.
    """
    path = Path(path)
    if not is_pdf(path):
        return [(1, load_image(path, max_pixels=max_pixels, max_bytes=max_bytes))]
    if max_bytes is not None and path.is_file() and path.stat().st_size > max_bytes:
        raise DocumentError(f"{path.name} is {path.stat().st_size / 2**20:.1f} MB; the limit is "
                            f"{max_bytes / 2**20:.0f} MB.")
    document = _open_pdf(path)  # parsed once for the count and every page
    try:
        count = _page_count(document, path)
        if page == ALL_PAGES:
            if count > max_pages:
                raise DocumentError(f"{path.name} has {count} pages; reading all pages is limited to {max_pages} "
                                    "(app.pdf_max_pages in config.yaml). Pick one page, or raise the limit.")
            numbers = range(1, count + 1)
        else:
            try:
                numbers = [int(page or 1)]
            except ValueError:
                raise DocumentError(f"page must be a page number or '{ALL_PAGES}', not {page!r}") from None
        return [(n, _render(document, path, n - 1, dpi, max_pixels)) for n in numbers]
    finally:
        document.close()
