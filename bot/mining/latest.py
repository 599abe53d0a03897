"""The report of the latest run, kept beside the model (<model_dir>/latest.json) in the shape
`bot mine --out report.json` writes, so the editor console shows what the last run found,
whether a person started it there or a scheduled `bot mine --log` did."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from bot.errors import InputError

log = logging.getLogger(__name__)

LATEST_FILE = "latest.json"


def save_latest(report: dict[str, Any], folder: Path) -> Path:
    """Write `report` (MiningReport.to_json()) atomically; readers never see half a file."""
    path = Path(folder) / LATEST_FILE
    text = json.dumps(report, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as err:
        raise InputError(
            f"cannot save the mining report in {path} ({err.strerror or err}); "
            "check BOT_DATA_DIR is writable"
        ) from err
    return path


def load_latest(folder: Path) -> dict[str, Any] | None:
    """The latest report, or None when no run has saved one (an unreadable file is logged
    and treated as none: the next run writes a fresh one)."""
    path = Path(folder) / LATEST_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        log.warning("mining report %s is unreadable (%s); ignoring it", path, err)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("clusters"), list):
        log.warning("mining report %s has no clusters list; ignoring it", path)
        return None
    return data
