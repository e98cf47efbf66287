"""The user-facing strings, one module per part of the app; ui/i18n.py merges them."""
