"""Measurement scripts; the benchmark library is benchmarks/."""
