"""Stopping a part ends its whole process group, including workers that take a moment
longer than their leader (sanic's worker in the action server) or outlive a crashed leader.
Real processes, no models: fast."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.serve.supervisor import Part, _terminate

pytestmark = pytest.mark.integration

# A worker that needs 1.5 s to shut down after SIGTERM, like a server draining requests.
WORKER = (
    "import signal, sys, time\n"
    "def bye(*_):\n"
    "    time.sleep(1.5)\n"
    "    sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, bye)\n"
    "open(sys.argv[1], 'w').write('up')\n"
    "time.sleep(120)\n"
)


def _leader(worker_flag: Path, leader_exits: bool) -> str:
    # The leader starts the worker in its own group, then waits (or dies at once).
    return (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {WORKER!r}, {str(worker_flag)!r}])\n"
        f"time.sleep({0.0 if leader_exits else 120})\n"
    )


def _start(tmp_path: Path, leader_exits: bool = False) -> Part:
    flag = tmp_path / "worker-up"
    part = Part("fake", [sys.executable, "-c", _leader(flag, leader_exits)],
                "http://127.0.0.1:1/", dict(os.environ), tmp_path / "fake.log")
    part.process = subprocess.Popen(part.argv, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert time.monotonic() < deadline, "the fake part's worker did not start"
        time.sleep(0.05)
    return part


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_waits_for_a_slow_worker_of_the_group(tmp_path: Path) -> None:
    part = _start(tmp_path)
    assert part.process is not None
    started = time.monotonic()
    _terminate(part, grace_s=10.0)
    assert not _group_alive(part.process.pid)
    assert time.monotonic() - started >= 1.0  # it waited for the worker's shutdown


def test_stop_ends_workers_left_by_a_leader_that_already_exited(tmp_path: Path) -> None:
    part = _start(tmp_path, leader_exits=True)
    assert part.process is not None
    part.process.wait(timeout=10)
    assert _group_alive(part.process.pid)  # the orphaned worker is still there
    _terminate(part, grace_s=10.0)
    assert not _group_alive(part.process.pid)


def test_stopping_an_ended_part_is_harmless(tmp_path: Path) -> None:
    part = _start(tmp_path)
    _terminate(part)
    _terminate(part)
    assert part.process is not None and part.process.poll() is not None
