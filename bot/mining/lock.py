"""One mining run at a time per model folder, across processes: a scheduled `bot mine --log`
and a run started from the editor console must not both load, update and save the model
(the second save would drop the first run's rows, or pair one run's sums.npy with the
other's model.json).

An exclusive `flock` on <model_dir>/run.lock, held from loading the model to writing the
report. The holder writes its pid and start time into the file so a waiting run can say
whom it waits for. `flock` is released by the kernel when the process dies, so a killed run
never leaves a stale lock. Separate `open()`s exclude each other even within one process,
so two threads of the gateway are serialised too (a thread must not take it twice).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import InputError

log = logging.getLogger(__name__)

LOCK_FILE = "run.lock"
# A cold e5 run over ~7,000 messages took 7.5 min on the shared machine: waiting up to 30
# min covers one such run; a scheduled run overlapping a longer one fails and retries at its
# next slot instead of piling up.
WAIT_S = 30 * 60.0
POLL_S = 0.2


def _flock() -> Any | None:
    try:
        import fcntl
    except ImportError:  # not POSIX: runs are not serialised (logged once per run)
        return None
    return fcntl


def _describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "另一个挖掘任务"
    return f"另一个挖掘任务（进程 {holder.get('pid', '?')}，{holder.get('since', '?')} 开始）"


def _read_holder(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return dict(json.loads(text)) if text else None
    except (OSError, ValueError, TypeError):
        return None


def holder(folder: Path) -> dict[str, Any] | None:
    """Who holds the lock of `folder` ({"pid", "since", "what"}), or None when it is free."""
    fcntl = _flock()
    path = Path(folder) / LOCK_FILE
    if fcntl is None or not path.is_file():
        return None
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path) or {}
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None


@contextmanager
def model_lock(folder: Path, what: str = "mine", wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the model folder's run lock; waits up to `wait_s` for another run to finish,
    then fails naming the holder."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held below
    except OSError as err:
        raise InputError(
            f"cannot create the mining lock in {folder} ({err.strerror or err}); "
            "check BOT_DATA_DIR is writable"
        ) from err
    fcntl = _flock()
    try:
        if fcntl is None:
            log.warning("no fcntl on this platform: mining runs are not serialised")
        else:
            _acquire(fcntl, handle, folder, wait_s)
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({
                "pid": os.getpid(), "what": what,
                "since": datetime.now().isoformat(sep=" ", timespec="seconds"),
            }))
            handle.flush()
        yield
    finally:
        if fcntl is not None:
            try:
                handle.seek(0)
                handle.truncate()
            except OSError:
                pass  # only the holder note; closing releases the lock regardless
        handle.close()


def _acquire(fcntl: Any, handle: Any, folder: Path, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    waiting = False
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            other = _read_holder(folder / LOCK_FILE)
            if time.monotonic() >= deadline:
                raise InputError(
                    f"{_describe(other)}仍在更新 {folder} 里的聚类模型，等了 {wait_s:g} 秒"
                    "仍未结束；等它结束后再运行（定时任务会在下一次自动重试）"
                ) from None
            if not waiting:
                # A warning: a scheduled run's log should say why it is not progressing.
                log.warning("waiting for the mining lock of %s, held by %s", folder, other)
                waiting = True
            time.sleep(POLL_S)
