"""Blind battles: two anonymous models on one document, a reviewer's vote, and the ratings the votes make."""
