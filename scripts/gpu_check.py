"""GPU acceptance check: the Transformers engine, the model pool, unloading and worker processes on CUDA.

On a machine with an NVIDIA GPU, run `scripts/gpu_check.sh` (one command, offline; it installs the wheels carried
in .whl/ when pydantic is missing). This builds tiny random models of real families (testkit/tiny_models.py) into a
temporary, offline Hugging Face cache under their real repo ids, runs them through the real ModelPool and
TransformersEngine, and prints one table: each check PASS, FAIL or SKIP with its figures. Exit code 1: a check failed;
2: it ran past its deadline.

Without a GPU: `.venv/bin/python scripts/gpu_check.py --device cpu` runs the same steps on the CPU, and the
CUDA-only checks read "skipped (no CUDA)". The steps are in scripts/gpu_check_pool.py and gpu_check_worker.py.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "got_ocr2", "smolvlm")
MIN_FAMILIES = 3
# Unused embedding rows that make each tiny model weigh ~100-250 MB in bf16 on a GPU, so that memory given
# back (unload, a killed worker) stands far above the allocator's and the driver's granularity.
EXTRA_VOCAB_CUDA = 500_000
# The GPU machine's Python packages (the device tool's KINDS.md, nvidia-h200), and the wheels carried in .whl/.
DEVICE_PACKAGES = frozenset("""
absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build certifi
charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings cuda-core cuda-pathfinder
cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils execnet filelock flatbuffers flax
fonttools formulaic frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize
hypothesis idna imageio iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2
joblib kiwisolver lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml markdown
markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack multidict multipledispatch
mypy-extensions nanobind narwhals networkx ninja numba numba-cuda numpy numpyro nvidia-cublas nvidia-cuda-cupti
nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand nvidia-cusolver
nvidia-cusparse nvidia-cusparselt-cu13 nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13
nvidia-nvtx onnx onnx-ir onnxruntime onnxscript opencv-python-headless optax opt-einsum opt-einsum-fx optimistix
orbax-checkpoint packaging pandas pathspec patsy peft pillow pip pluggy portalocker prometheus-client propcache
protobuf psutil pyarrow pybind11 py-cpuinfo pygments pyparsing pyproject-hooks pyre-extensions pytest
pytest-benchmark pytest-cov pytest-mock pytest-timeout pytest-xdist python-dateutil pytorch-lightning pyyaml regex
requests rich sacrebleu safetensors scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece
sentence-transformers setuptools shellingham simplejson six sortedcontainers statsmodels sympy tabulate tensorboard
tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm tokenizers toolz torch torchaudio
torchdiffeq torch-geometric torchmetrics torchvision tqdm transformers treescope triton typer typing-extensions
typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt xarray xxhash yarl zipp
pydantic pydantic-core annotated-types typing-inspection
""".split())


@dataclass
class Row:
    check: str
    status: str  # PASS | FAIL | SKIP
    figures: str = ""


class Report:
    """The rows so far; each is also printed to stderr as it comes, in case the run is cut short."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.header: list[str] = []
        self.step = "starting"
        self._lock = threading.RLock()

    def add(self, check: str, ok: object, figures: str = "") -> bool:
        return self._append(Row(check, "PASS" if ok else "FAIL", figures)) == "PASS"

    def skip(self, check: str, why: str) -> None:
        self._append(Row(check, "SKIP", why))

    def _append(self, row: Row) -> str:
        with self._lock:
            self.rows.append(row)
        print(f"[gpu_check] {row.status} {row.check}: {row.figures}", file=sys.stderr, flush=True)
        return row.status

    def failed(self) -> bool:
        return any(row.status == "FAIL" for row in self.rows)

    def render(self) -> str:
        with self._lock:
            rows = list(self.rows)
        counts = {s: sum(r.status == s for r in rows) for s in ("PASS", "FAIL", "SKIP")}
        width = max([len(r.check) for r in rows] + [5])
        lines = ["", "=" * 100, "GPU check of the Transformers engine and the model pool", *self.header, "-" * 100,
                 f"{'#':>2}  {'':4}  {'check':<{width}}  figures"]
        lines += [f"{i:>2}  {r.status:4}  {r.check:<{width}}  {r.figures}" for i, r in enumerate(rows, 1)]
        lines += ["-" * 100, f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped", "=" * 100]
        return "\n".join(lines)

    def as_json(self) -> dict:
        with self._lock:
            return {"header": self.header, "rows": [asdict(r) for r in self.rows], "failed": self.failed()}


def describe(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0][:200] if lines else repr(exc)}"


def header_lines(device: str) -> list[str]:
    import huggingface_hub
    import pydantic
    import torch
    import transformers
    from gpu_check_pool import nvml_driver

    gpu = "none visible to torch"
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        gpu = f"{props.name}, {props.total_memory / 2**20:,.0f} MiB, compute capability {props.major}.{props.minor}"
    flash = "installed" if importlib.util.find_spec("flash_attn") else "not installed"
    return [
        f"GPU: {gpu}; driver {nvml_driver() or '? (no NVML)'}; CUDA (torch build) {torch.version.cuda}",
        f"torch {torch.__version__}; transformers {transformers.__version__}; huggingface_hub "
        f"{huggingface_hub.__version__}; Python {sys.version.split()[0]} ({sys.executable})",
        f"pydantic {pydantic.VERSION} from {Path(pydantic.__file__).parent.parent}; flash_attn {flash}; "
        f"checks run on: {device}",
    ]


def build_models(report: Report, families: list[str], extra_vocab: int, scratch: Path) -> dict[str, tuple[str, int]]:
    """Build each family and install it in the hub cache under its real repo id. Returns family -> (repo id,
    bytes of its fp32 weight files). A family that cannot be built here is skipped, with the reason."""
    from testkit.tiny_models import FAMILY_REPOS, build_tiny_model, install_in_hf_cache

    built: dict[str, tuple[str, int]] = {}
    cache = Path(os.environ["HF_HUB_CACHE"])
    for family in families:
        repo = FAMILY_REPOS[family][0]
        report.step = f"building {family}"
        started = time.perf_counter()
        try:
            folder = build_tiny_model(family, scratch / family, extra_vocab=extra_vocab)
        except Exception as exc:  # e.g. a class that this transformers version lacks or gates on torchvision
            report.skip(f"build {family}", f"could not be built with this transformers: {describe(exc)}")
            continue
        snapshot = install_in_hf_cache(cache, repo, folder)
        shutil.rmtree(folder, ignore_errors=True)
        size = sum(f.stat().st_size for f in snapshot.glob("*.safetensors"))
        built[family] = (repo, size)
        report.add(f"build {family}", True, f"{repo}: {size / 2**20:.1f} MB of fp32 weights, "
                                            f"{time.perf_counter() - started:.1f} s")
    report.add(f"at least {MIN_FAMILIES} families built", len(built) >= MIN_FAMILIES, ", ".join(built) or "none")
    return built


def project_requirements() -> set[str]:
    """The distributions the project's requirements*.txt name, normalised."""
    names = set()
    for path in ROOT.glob("requirements*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9_.-]*)", line.split("#")[0])
            if found and not line.lstrip().startswith("-"):
                names.add(normalise(found.group(1)))
    return names


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_imports(report: Report) -> None:
    """No module this process imported needs a project requirement that the GPU machine lacks (gradio, rapidfuzz,
    ...). Other distributions not on its list come in through this machine's own versions of libraries that the GPU
    machine has in its own versions (huggingface_hub here pulls httpx2); they are listed, not failed."""
    from importlib.metadata import packages_distributions

    owners = packages_distributions()
    imported = {normalise(d) for m in list(sys.modules) for d in owners.get(m.split(".")[0], [])}
    missing = sorted((imported & project_requirements()) - DEVICE_PACKAGES)
    ui = sorted(m for m in ("gradio", "ui") if m in sys.modules)
    others = sorted(imported - DEVICE_PACKAGES - set(missing))
    note = f"; here only, through this machine's library versions: {', '.join(others)}" if others else ""
    report.add("imports: nothing the GPU machine lacks", not missing and not ui,
               (f"needed but not there: {', '.join(missing + ui)}" if missing or ui else
                f"{len(imported)} distributions imported, none of the project's missing there; no gradio/ui") + note)


def run_checks(report: Report, args: argparse.Namespace, scratch: Path) -> None:
    report.step = "importing torch, transformers, pydantic"
    try:
        import pydantic  # noqa: F401  (carried in .whl/ for the GPU machine)
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        report.add("import torch, transformers, pydantic", False,
                   f"{describe(exc)} (carry the wheels in .whl/: see scripts/gpu_check.sh)")
        return
    cuda = torch.cuda.is_available()
    device = "cpu" if args.device == "cpu" or (args.device == "auto" and not cuda) else "cuda"
    report.header = header_lines(device)
    if device == "cuda" and not cuda:
        report.add("CUDA available to torch", False, "torch.cuda.is_available() is False (use --device cpu here)")
        return
    extra_vocab = args.extra_vocab if args.extra_vocab is not None else (EXTRA_VOCAB_CUDA if device == "cuda" else 0)
    built = build_models(report, args.families, extra_vocab, scratch)
    if built:
        from gpu_check_pool import Setup

        run_pool_checks(report, Setup(device, built, args.max_new_tokens or (64 if device == "cuda" else 8)))
    check_imports(report)


def run_pool_checks(report: Report, setup) -> None:
    """One pool for every step: a model alone, the others side by side, unload all, then a worker process."""
    import gpu_check_pool as steps
    from gpu_check_worker import check_worker

    pool, request = steps.ModelPool(steps.make_config(setup)), steps.make_request()
    keys = list(setup.models)
    together = keys[1:] if len(keys) > 3 else keys[:3]
    guarded(report, steps.check_single, report, pool, setup, keys[0], request)
    if len(together) >= 3:
        guarded(report, steps.check_side_by_side, report, pool, setup, together, request)
    guarded(report, steps.check_unload, report, pool, setup)
    guarded(report, check_worker, report, pool, setup, request)
    report.step = "closing the pool"
    guarded(report, pool.close)


def guarded(report: Report, step, *args) -> None:
    """Run one step; an exception in it is a failed row, and the next steps still run."""
    try:
        step(*args)
    except Exception as exc:
        traceback.print_exc()
        report.add("no unexpected error", False, f"while {report.step}: {describe(exc)}")


def start_watchdog(report: Report, seconds: float, json_path: str | None, scratch: Path) -> threading.Timer:
    """Past the deadline, print the table so far and exit 2 (a worker exits when its parent dies)."""
    def expire() -> None:
        report.add(f"finished within {seconds:.0f} s", False, f"stopped while {report.step}")
        shutil.rmtree(scratch, ignore_errors=True)
        print(report.render(), flush=True)
        if json_path:
            Path(json_path).write_text(json.dumps(report.as_json(), indent=2))
        os._exit(2)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto",
                        help="cuda: fail without a GPU; cpu: run here, CUDA checks skipped; auto: cuda if present")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), help="tiny model families to build")
    parser.add_argument("--extra-vocab", type=int, default=None,
                        help=f"unused embedding rows per model (default {EXTRA_VOCAB_CUDA:,} on cuda, 0 on cpu)")
    parser.add_argument("--max-new-tokens", type=int, default=None, help="default 64 on cuda, 8 on cpu")
    parser.add_argument("--deadline-s", type=float, default=420.0, help="print what ran and exit 2 after this")
    parser.add_argument("--json", help="also write the table as JSON to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    # A private, offline hub cache: the tiny models never reach the user's own cache under real repo ids.
    os.environ.update(HF_HOME=str(scratch / "hf"), HF_HUB_CACHE=str(scratch / "hf" / "hub"), HF_HUB_OFFLINE="1",
                      TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
    report = Report()
    started = time.perf_counter()
    watchdog = start_watchdog(report, args.deadline_s, args.json, scratch)
    try:
        run_checks(report, args, scratch / "models")
    except Exception as exc:  # a bug in a step: say where, keep the rows so far
        traceback.print_exc()
        report.add("no unexpected error", False, f"while {report.step}: {describe(exc)}")
    finally:
        watchdog.cancel()
        shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.perf_counter() - started
    report.add(f"finished within {args.deadline_s:.0f} s", elapsed < args.deadline_s, f"{elapsed:.1f} s")
    print(report.render(), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_json(), indent=2))
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
