"""The document picker the tabs share: an image or a PDF, a page menu shown for PDFs only, a preview, and the
bundled samples as thumbnails. Also what the chat needs to show a document a browser cannot (a TIFF)."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Callable

import gradio as gr
from PIL import Image

from backends.contracts.schema import AppSettings
from core.documents import (ALL_PAGES, IMAGE_SUFFIXES, DocumentError, display_copy, is_pdf, load_image, load_pages,
                            pdf_page_count)
from core.samples import Sample
from ui.i18n import text

# A PDF this short is read whole by default (each page is one request per model; five keep a run to minutes on a
# CPU); a longer one starts on its first page, and "all pages" stays one click away.
SHORT_PDF_PAGES = 5
# What a browser's <img> shows; anything else (TIFF above all) is shown through a PNG copy.
BROWSER_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".avif")
THUMBNAIL_SIDE = 240


class DocumentPicker:
    """A file input, its page menu (shown for PDFs), a preview and, given `samples`, their thumbnails; wired
    together. `multi_page`: the tab can read every page of a PDF (offered as "all N pages", the default for a short
    one). `prefix` names the element ids: `{prefix}-document`, `{prefix}-page`, `{prefix}-preview`,
    `{prefix}-samples`."""

    def __init__(self, settings: AppSettings, i18n: gr.I18n, prefix: str, language, multi_page: bool = False,
                 samples: list[Sample] | None = None, samples_label: str = "smp_pick"):
        self.settings = settings
        self.language = language  # gr.Request -> the session's language
        self.multi_page = multi_page
        with gr.Column(scale=1, min_width=320):
            self.document = gr.File(label=i18n("ar_document"), file_types=["image", ".pdf"],
                                    elem_id=f"{prefix}-document", type="filepath")
            # Custom values let API clients name any page; reading the pages checks it against the document.
            self.page = gr.Dropdown(choices=["1"], value="1", label=i18n("ar_page"), visible=False,
                                    allow_custom_value=True, elem_id=f"{prefix}-page")
            self.preview = gr.Image(label=i18n("ar_preview"), interactive=False, height=260,
                                    elem_id=f"{prefix}-preview")
            self.samples = SampleGallery(samples, i18n(samples_label), f"{prefix}-samples") if samples else None
        self.document.change(self.choose_pages, inputs=[self.document], outputs=[self.page, self.preview],
                             api_visibility="private")
        self.page.input(self.show_page, inputs=[self.document, self.page], outputs=[self.preview],
                        api_visibility="private")
        if self.samples:
            self.samples.on_pick(lambda sample, path: path, [self.document])

    def choose_pages(self, path: str | None, request: gr.Request = None):
        """A PDF shows its page menu; an image hides it."""
        return page_selector(path, self.language(request), self.multi_page), preview(path, "1", self.settings)

    def show_page(self, path: str | None, page: str | None = "1"):
        return preview(path, page, self.settings)


class SampleGallery:
    """The bundled samples as thumbnails, each captioned with its language and name; clicking one loads it."""

    def __init__(self, samples: list[Sample], label: str, elem_id: str):
        self.samples = list(samples)
        # The language first: a long name is cut short in its caption.
        thumbnails = [(thumbnail(s.image), f"{s.language_label} · {s.name}") for s in self.samples]
        columns = len(thumbnails) if len(thumbnails) <= 4 else 3  # one row of a few; rows of three of more
        self.gallery = gr.Gallery(value=thumbnails, label=label, columns=columns, height="auto",
                                  allow_preview=False, interactive=False, object_fit="contain", buttons=[],
                                  format="png", elem_id=elem_id)
        # The sample files go to Gradio's cache now, as gr.Examples does: served from there wherever the app was
        # started, and kept by the cache sweep (it spares `keep_in_cache`).
        self.files = [self.gallery.move_resource_to_block_cache(s.image) for s in self.samples]
        self.gallery.keep_in_cache.update(self.files)

    def on_pick(self, fill: Callable[..., object], outputs: list, current=None) -> None:
        """On a click, `fill(sample, its served path)` gives the values of `outputs`; with a `current` component,
        `fill(sample, path, its value)`."""
        def chosen(event: gr.SelectData) -> tuple[Sample, str]:
            index = event.index if isinstance(event.index, int) else event.index[0]
            return self.samples[index], self.files[index]

        def picked(event: gr.SelectData):
            return fill(*chosen(event))

        def picked_with(value, event: gr.SelectData):
            return fill(*chosen(event), value)

        if current is None:
            self.gallery.select(picked, outputs=outputs, api_visibility="private")
        else:
            self.gallery.select(picked_with, inputs=[current], outputs=outputs, api_visibility="private")


def thumbnail(path: Path) -> Image.Image:
    """A small RGB copy of a sample's first page (a TIFF too: browsers cannot show TIFF)."""
    return display_copy(load_image(path), THUMBNAIL_SIDE)


def page_selector(path: str | None, lang: str, multi_page: bool = True):
    """The page menu for this document: hidden for an image; for a PDF each page and, where the tab reads several,
    "all N pages", chosen when the PDF has at most SHORT_PDF_PAGES pages."""
    if not path or not is_pdf(path):
        return gr.update(choices=["1"], value="1", visible=False)
    try:
        count = pdf_page_count(path)
    except DocumentError as exc:
        gr.Warning(str(exc))
        return gr.update(choices=["1"], value="1", visible=False)
    pages = [str(n) for n in range(1, count + 1)]
    if not multi_page:
        return gr.update(choices=pages, value="1", visible=True)
    choices = [(text(lang, "ar_all_pages").format(count=count), ALL_PAGES)] + pages
    return gr.update(choices=choices, value=ALL_PAGES if count <= SHORT_PDF_PAGES else "1", visible=True)


def chat_page_selector(path: str | None, current: str | None):
    """The chat's page menu (a chat is about one page): a PDF's pages, keeping the page chosen if it has it;
    hidden for an image or no document."""
    if not path or not is_pdf(path):
        return gr.update(choices=["1"], value="1", visible=False)
    try:
        count = pdf_page_count(path)
    except DocumentError:  # the chat says why when asked; the page chosen stays
        return gr.update(choices=[current or "1"], value=current or "1", visible=True)
    pages = [str(n) for n in range(1, count + 1)]
    return gr.update(choices=pages, value=current if current in pages else "1", visible=True)


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


class BrowserCopies:
    """PNG copies of images a browser cannot show (TIFF, ...), for a conversation that shows the document it is
    about. Each copy remembers its original, which the engines read; the copy is lossless and full size (the same
    pixels: upright, first frame), so a conversation whose original has gone from the cache still reads right."""

    def __init__(self, folder: str | Path | None = None):
        # Gradio's own cache: a file there is served as it is, and swept with the rest once no page shows it.
        self.folder = Path(folder or gr.utils.get_upload_folder()) / "shown"
        self._originals: dict[str, str] = {}
        self._lock = threading.Lock()

    def shown(self, path: str | None, max_pixels: int = 60_000_000) -> str | None:
        """What the browser is given for `path`: the file itself when it can show it (or it is a PDF, shown as a
        file), else a PNG copy. A file that cannot be read stays as it is: the chat says why when it is asked."""
        if not path or is_pdf(path) or Path(path).suffix.lower() in BROWSER_IMAGES:
            return path
        if Path(path).suffix.lower() not in IMAGE_SUFFIXES:
            return path
        try:
            image = load_image(path, max_pixels=max_pixels)
        except DocumentError:
            return path
        stat = os.stat(path)
        key = hashlib.sha1(f"{os.path.realpath(path)}:{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:20]
        copy = self.folder / key / f"{Path(path).stem}.png"
        if not copy.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            png_modes = ("1", "L", "LA", "I;16", "P", "RGB", "RGBA")
            (image if image.mode in png_modes else image.convert("RGB")).save(copy, format="PNG")
        with self._lock:
            self._originals[str(copy)] = str(path)
        return str(copy)

    def original(self, path: str) -> str:
        """The file a shown copy stands for, while it exists; else the path itself."""
        with self._lock:
            original = self._originals.get(str(path))
        return original if original and Path(original).is_file() else path


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
