"""The pages a chat talks about, decoded once and encoded once: a conversation's later turns reuse them."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image

from backends.contracts.schema import AppSettings
from core.documents import DocumentError, is_pdf, load_pages

KEEP_PAGES = 8  # pages kept decoded; each holds its image and the encodings engines made of it


class PageCache:
    """(image, encodings) per document page. The encodings dict is the one every request about the page shares,
    so an engine that encodes the image (as base64 PNG for an HTTP server) does it once per page, not per turn.

    A page is known by the document's content, not its path: a file sent again (an API client uploads the
    conversation's document with every turn, under a new time stamp) is the same page."""

    def __init__(self, settings: AppSettings, keep: int = KEEP_PAGES):
        self.settings = settings
        self.keep = keep
        self._pages: OrderedDict[tuple, tuple[Image.Image, dict[str, str]]] = OrderedDict()
        self._digests: OrderedDict[tuple, str] = OrderedDict()  # (path, mtime, size) -> the content's digest
        self._lock = threading.Lock()

    def page(self, path: str, page: str | None) -> tuple[Image.Image, dict[str, str]]:
        """Raises DocumentError for a file that cannot be read."""
        page = (page or "1") if is_pdf(path) else "1"
        key = (self._digest(path), page)
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

    def _digest(self, path: str) -> str:
        """The document's content hash, read once per version of the file."""
        try:
            stat = Path(path).stat()
            seen = (str(path), stat.st_mtime_ns, stat.st_size)
            with self._lock:
                if seen in self._digests:
                    return self._digests[seen]
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except FileNotFoundError:
            raise DocumentError(f"File not found: {Path(path).name}") from None
        except OSError as exc:
            raise DocumentError(f"{Path(path).name} cannot be read ({exc.strerror or exc}).") from None
        with self._lock:
            self._digests[seen] = digest
            while len(self._digests) > 4 * self.keep:
                self._digests.popitem(last=False)
        return digest
