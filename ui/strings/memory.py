"""Strings: the labels of the memory figures the pool takes itself, kept in core/memory_words.py so that the
benchmark report (which cannot import the UI) writes the same words."""
from core.memory_words import EN, RU

__all__ = ["EN", "RU"]
