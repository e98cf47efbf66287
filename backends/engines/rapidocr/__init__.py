"""The `rapidocr` engine: RapidOCR's PP-OCR ONNX models, in process."""
