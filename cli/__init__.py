"""The command line behind launch.py: one module per subcommand (serve, list, download, env, serve-command),
plus the model lookup they share. Kept light like launch.py itself: heavy libraries are imported inside the
functions that need them, so `list` never pulls in torch or an OCR engine."""
