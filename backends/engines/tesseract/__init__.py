"""The `tesseract` engine: Tesseract 5 through tesserocr, in process."""
