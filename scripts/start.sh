#!/usr/bin/env bash
# Set up (first run only) and start the arena on the embedded CPU engines. Arguments go to launch.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python launch.py "$@"
