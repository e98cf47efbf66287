#!/usr/bin/env bash
# GPU acceptance check, as one command on a machine with an NVIDIA GPU and no network:
#   scripts/gpu_check.sh            (extra arguments go to scripts/gpu_check.py, e.g. --families qwen2_vl got_ocr2)
# It runs scripts/gpu_check.py with that machine's python3 (or $PYTHON) on an offline, temporary Hugging Face
# cache, and ends with one table of PASS/FAIL/SKIP rows. Exit code 1: a check failed; 2: past its deadline.
#
# pydantic (and its needs) may be missing there; then the wheels in .whl/ (ignored by git; name it in the
# device tool's `carry`) are installed into a temporary folder first. To fetch them for Python 3.12:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
#     pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing-extensions==4.16.0
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
site=""
if ! "$PYTHON" -c "import pydantic" 2>/dev/null; then
  if compgen -G ".whl/*.whl" >/dev/null; then
    site=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-site.XXXXXX")
    echo "gpu_check: pydantic is missing; installing .whl/*.whl into $site" >&2
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl \
      || { echo "gpu_check: installing the wheels in .whl/ failed" >&2; rm -rf "$site"; exit 1; }
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
  else
    echo "gpu_check: pydantic is missing and .whl/ holds no wheels (see the top of this script)" >&2
  fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1  # gpu_check.py also makes its own temp HF cache
"$PYTHON" scripts/gpu_check.py --device cuda "$@"
rc=$?
[ -n "$site" ] && rm -rf "$site"
exit $rc
