"""Image preparation the OCR engines share: any Pillow mode to what a recogniser reads."""
from __future__ import annotations

from PIL import Image


def flatten_image(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit gray or RGB; transparency goes onto white, as a viewer shows it."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _stretch_to_gray(image)
    if image.mode in ("LA", "La", "RGBA", "RGBa", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV


def _stretch_to_gray(image: Image.Image) -> Image.Image:
    """16-bit and float images: map the used range onto 0..255 (a plain convert("L") clips)."""
    wide = image.convert("F")
    low, high = wide.getextrema()
    if high <= low:
        return Image.new("L", image.size, 255)
    scale = 255.0 / (high - low)
    return wide.point(lambda v: (v - low) * scale).convert("L")
