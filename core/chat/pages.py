"""The pages a chat talks about, decoded once and encoded once: a conversation's later turns reuse them."""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image

from backends.contracts.schema import AppSettings
from core.documents import is_pdf, load_pages

KEEP_PAGES = 8  # pages kept decoded; each holds its image and the encodings engines made of it


class PageCache:
    """(image, encodings) per document page. The encodings dict is the one every request about the page shares,
    so an engine that encodes the image (as base64 PNG for an HTTP server) does it once per page, not per turn."""

    def __init__(self, settings: AppSettings, keep: int = KEEP_PAGES):
        self.settings = settings
        self.keep = keep
        self._pages: OrderedDict[tuple, tuple[Image.Image, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, path: str, page: str | None) -> tuple[Image.Image, dict[str, str]]:
        """Raises DocumentError for a file that cannot be read."""
        page = (page or "1") if is_pdf(path) else "1"
        stat = Path(path).stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, page)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        [(_, image)] = load_pages(path, page, dpi=self.settings.pdf_dpi, max_pixels=self.settings.max_image_pixels)
        with self._lock:
            self._pages[key] = (image, {})
            while len(self._pages) > self.keep:
                self._pages.popitem(last=False)
            return self._pages[key]
