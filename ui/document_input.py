"""The document picker the arena and the fields tab share: an image or a PDF, with a page selector for PDFs."""
from __future__ import annotations

import gradio as gr

from backends.config import AppSettings
from backends.documents import ALL_PAGES, DocumentError, display_copy, is_pdf, load_pages, pdf_page_count
from ui.i18n import text


def page_selector(path: str | None, lang: str):
    """The page dropdown for this document: hidden for an image, "all N pages" and each page for a PDF."""
    if not path or not is_pdf(path):
        return gr.update(choices=["1"], value="1", visible=False)
    try:
        count = pdf_page_count(path)
    except DocumentError as exc:
        gr.Warning(str(exc))
        return gr.update(choices=["1"], value="1", visible=False)
    choices = [(text(lang, "ar_all_pages").format(count=count), ALL_PAGES)] + [str(n) for n in range(1, count + 1)]
    return gr.update(choices=choices, value="1", visible=True)


def preview(path: str | None, page: str | None, settings: AppSettings):
    """A small copy of the chosen page (the first one for "all pages") for the browser."""
    if not path:
        return None
    try:
        [(_, image)] = load_pages(path, "1" if page == ALL_PAGES else page, dpi=min(settings.pdf_dpi, 100),
                                  max_pixels=settings.max_image_pixels)
        return display_copy(image, 900)
    except DocumentError as exc:
        gr.Warning(str(exc))
        return None


def read_pages(path: str, page: str | None, settings: AppSettings):
    """The pages a run reads, with the app's limits; raises gr.Error with the reason."""
    try:
        return load_pages(path, page or "1", dpi=settings.pdf_dpi, max_pages=settings.pdf_max_pages,
                          max_pixels=settings.max_image_pixels, max_bytes=int(settings.max_upload_mb * 2**20))
    except DocumentError as exc:
        raise gr.Error(str(exc)) from None
