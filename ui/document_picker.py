"""The document picker the arena, chat and fields tabs share: an image or a PDF, with a page selector for PDFs."""
from __future__ import annotations

import gradio as gr

from backends.contracts.schema import AppSettings
from core.documents import ALL_PAGES, DocumentError, display_copy, is_pdf, load_pages, pdf_page_count
from ui.i18n import text


class DocumentPicker:
    """A file input, its page dropdown (shown for PDFs) and a preview, wired together. `prefix` names their
    element ids: `{prefix}-document`, `{prefix}-page`, `{prefix}-preview`."""

    def __init__(self, settings: AppSettings, i18n: gr.I18n, prefix: str, language):
        self.settings = settings
        self.language = language  # gr.Request -> the session's language
        with gr.Column(scale=1, min_width=320):
            self.document = gr.File(label=i18n("ar_document"), file_types=["image", ".pdf"],
                                    elem_id=f"{prefix}-document", type="filepath")
            # Custom values let API clients name any page; reading the pages checks it against the document.
            self.page = gr.Dropdown(choices=["1"], value="1", label=i18n("ar_page"), visible=False,
                                    allow_custom_value=True, elem_id=f"{prefix}-page")
            self.preview = gr.Image(label=i18n("ar_preview"), interactive=False, height=260,
                                    elem_id=f"{prefix}-preview")
        self.document.change(self.choose_pages, inputs=[self.document], outputs=[self.page, self.preview],
                             api_visibility="private")
        self.page.input(self.show_page, inputs=[self.document, self.page], outputs=[self.preview],
                        api_visibility="private")

    def choose_pages(self, path: str | None, request: gr.Request = None):
        """A PDF shows its page selector (one page, or all of them); an image hides it."""
        return page_selector(path, self.language(request)), preview(path, "1", self.settings)

    def show_page(self, path: str | None, page: str | None = "1"):
        return preview(path, page, self.settings)


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


def read_page(path: str, page: str | None, settings: AppSettings):
    """One page to talk about (the chat): the chosen page of a PDF, or the image; raises gr.Error."""
    try:
        [(_, image)] = load_pages(path, (page or "1") if is_pdf(path) else "1", dpi=settings.pdf_dpi,
                                  max_pixels=settings.max_image_pixels)
    except DocumentError as exc:
        raise gr.Error(str(exc)) from None
    return image
