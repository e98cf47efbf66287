"""`launch.py download`: model weights into the Hugging Face cache, with readable reasons when that fails."""
from __future__ import annotations

import errno
import sys
from pathlib import Path

from backends.contracts.schema import ArenaConfig, ModelEntry
from backends.registry import installed, reads_weights
from backends.runtime.weights import format_bytes, is_hub_repo_id, weights_size_bytes
from cli.lookup import find_model


def _hub_error_message(exc: BaseException, repo: str, revision: str | None) -> str:
    """One readable sentence for what huggingface_hub raised, naming the repo and the revision."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, IncompleteSnapshotError,
                                        LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError)

    where = f"{repo} (revision {revision or 'main'})"
    login = "log in with `hf auth login` or set HF_TOKEN"
    if isinstance(exc, GatedRepoError):
        return (f"{where} is a gated repository: accept its terms at {constants.ENDPOINT}/{repo} with your "
                f"Hugging Face account, then {login}.")
    if isinstance(exc, RepositoryNotFoundError):
        return (f"{where} was not found on the Hub. Check `weights` in the config; if the repository is private, "
                f"{login}.")
    if isinstance(exc, RevisionNotFoundError):
        return f"revision '{revision}' does not exist in {repo}. Check `revision` in the config."
    if isinstance(exc, IncompleteSnapshotError):
        return (f"the Hub could not be reached and the cached snapshot of {where} is incomplete "
                f"({getattr(exc, 'snapshot_path', '')}). Run again with network access to finish it.")
    if isinstance(exc, LocalEntryNotFoundError):
        cause = exc.__cause__
        reason = f" ({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''})" if cause else ""
        return (f"could not reach the Hub at {constants.ENDPOINT}{reason}, and {where} is not in the cache "
                f"({constants.HF_HUB_CACHE}). Check the internet connection or proxy (HTTPS_PROXY) and run again.")
    if isinstance(exc, HfHubHTTPError):
        code = exc.response.status_code if exc.response is not None else "?"
        if code in (401, 403):
            return f"the Hub refused access to {where} (HTTP {code}): {login}."
        return f"the Hub answered HTTP {code} for {where}: {str(exc).splitlines()[0]}"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"not enough disk space for {where} in {constants.HF_HUB_CACHE}."
    if isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__module__.startswith(("httpx", "httpcore")):
        return (f"network error while downloading {where}: {type(exc).__name__}: {exc}. Files finished so far are "
                "kept; run the same command again to continue.")
    return f"download of {where} failed: {type(exc).__name__}: {exc}"


def downloadable(entry: ModelEntry) -> bool:
    """Whether `download` can fetch this model's weights: it reads weights, and they live on the Hub."""
    return reads_weights(entry) and is_hub_repo_id(entry.weights)


def _not_downloadable_reason(entry: ModelEntry) -> str | None:
    """Why there is nothing to download for this model, or None when its weights come from the Hub."""
    if not reads_weights(entry):
        why = (f"the {entry.engine} engine is served from its endpoint" if entry.engine == "openai"
               else f"the {entry.engine} engine needs no model weights")
        return f"{why}."
    if not is_hub_repo_id(entry.weights):
        folder = Path(entry.weights).expanduser()
        state = "it is there" if folder.is_dir() else "it does not exist: put the model's files there"
        return f"its weights are a local folder, {folder} ({state})."
    return None


def _environment_hint(entry: ModelEntry) -> None:
    if entry.environment is not None and not installed(entry)[0]:
        print(f"{entry.key}: it runs in its own Python environment, not created yet. "
              f"Run: python launch.py env {entry.key}")


def download_one(entry: ModelEntry) -> bool:
    from huggingface_hub import constants, snapshot_download

    key, repo, revision = entry.key, entry.weights, entry.revision
    where = f"{repo} (revision {revision or 'main'})"
    if constants.HF_HUB_OFFLINE:
        # snapshot_download would only look in the cache; say so plainly instead of "trying".
        try:
            path = snapshot_download(repo, revision=revision)
        except Exception as exc:
            detail = ("its cached snapshot is incomplete" if type(exc).__name__ == "IncompleteSnapshotError"
                      else "it is not in the cache")
            print(f"{key}: offline (HF_HUB_OFFLINE=1 is set), and {detail} ({constants.HF_HUB_CACHE}). Unset "
                  f"HF_HUB_OFFLINE on a machine with internet access to download {where}.", file=sys.stderr)
            return False
        size = weights_size_bytes(path)
        print(f"{key}: offline (HF_HUB_OFFLINE=1 is set), nothing fetched; {where} is already in the cache: "
              f"{path} ({format_bytes(size or 0)}).")
        _environment_hint(entry)
        return True
    print(f"{key}: downloading {where} into {constants.HF_HUB_CACHE}…", flush=True)
    try:
        path = snapshot_download(repo, revision=revision)  # skips finished files: a re-run resumes
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # network, auth, disk: report and go on with the other keys
        print(f"{key}: {_hub_error_message(exc, repo, revision)}", file=sys.stderr)
        return False
    size = weights_size_bytes(path)
    print(f"{key}: ready in {path} ({format_bytes(size or 0)} on disk).")
    _environment_hint(entry)
    return True


def download(config: ArenaConfig, keys: list[str], every: bool = False) -> int:
    if every:
        keys = list(dict.fromkeys([*keys, *(e.key for e in config.models if downloadable(e))]))
    failures = 0
    for key in keys:
        entry = find_model(config, key)
        if entry is None:
            failures += 1
            continue
        reason = _not_downloadable_reason(entry)
        if reason is not None:
            print(f"{key}: nothing to download: {reason}", file=sys.stderr)
            failures += 1
            continue
        try:
            ok = download_one(entry)
        except KeyboardInterrupt:
            print(f"\n{key}: interrupted. Files finished so far are kept in the cache; run the same command to "
                  "continue.", file=sys.stderr)
            return 130
        failures += not ok
    return 1 if failures else 0
