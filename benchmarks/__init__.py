"""Benchmark toolkit: accuracy metrics and evaluation helpers for the OCR arena."""
