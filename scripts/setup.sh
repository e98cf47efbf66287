#!/usr/bin/env bash
# Idempotent setup: Debian packages (when this user may install them), the .venv, and Python packages.
#   scripts/setup.sh        runtime only (what the app needs)
#   scripts/setup.sh dev    plus the test tools, Debian's Chromium for the browser tests, and the vLLM environment
#                           (vLLM's CPU build here; ARENA_VLLM_ENV moves it, e.g. to a cache kept between clones)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-runtime}
python=${PYTHON:-python3}
apt_packages=(tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng fonts-dejavu-core)
[ "$mode" = dev ] && apt_packages+=(chromium chromium-driver)
"$python" -c 'import ensurepip' 2>/dev/null || apt_packages+=(python3-venv)

install_debian_packages() {
  command -v dpkg-query >/dev/null || {
    echo "Not a Debian/Ubuntu system: install Tesseract 5 with Russian and English data yourself" \
         "(e.g. tesseract + tesseract-langpack-rus). The arena marks Tesseract unavailable until then." >&2
    return 0
  }
  local missing=()
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "Cannot install Debian packages without root. Please run:" >&2
      echo "  sudo apt-get install -y ${missing[*]}" >&2
      echo "The arena still starts; engines whose packages are missing show as unavailable." >&2
      return 0
    fi
  fi
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_debian_packages

"$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "Python 3.10 or newer is needed; $("$python" --version 2>&1) found. Set PYTHON=/path/to/python3.11." >&2
  exit 1
}
[ -x .venv/bin/python ] || "$python" -m venv .venv

requirements=requirements.txt
[ "$mode" = dev ] && requirements=requirements-dev.txt
# Reinstall only when the requirement files change: a second start takes a second, not a minute.
hash=$(cat requirements*.txt | sha256sum | cut -c1-16)
stamp=".venv/.installed-$mode-$hash"
# The dev install includes the runtime one.
if [ ! -f "$stamp" ] && ! { [ "$mode" = runtime ] && [ -f ".venv/.installed-dev-$hash" ]; }; then
  echo "Installing Python packages from $requirements into .venv …"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$requirements"
  rm -f .venv/.installed-"$mode"-*
  touch "$stamp"
fi

# The tests run real vLLM: its own environment (about 3.5 GB), rebuilt only when its pins change.
if [ "$mode" = dev ]; then
  .venv/bin/python launch.py env vllm
fi
