"""Structured field extraction: templates' prompts, JSON replies parsed and validated, rule-based parsers for
OCR-only engines, and the side-by-side comparison of what each model extracted."""
