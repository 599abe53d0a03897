"""The model folder's run lock and the latest report: overlapping runs (a scheduled
`bot mine --log` and one started in the console) are serialised, never interleaved."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.mining.incremental import ClusterModel
from bot.mining.latest import LATEST_FILE, load_latest, save_latest
from bot.mining.lock import holder, model_lock
from bot.mining.pipeline import MineOptions, mine
from bot.mining.rows import MinedRow

from .conftest import GROUPS, THRESHOLD, CountingEmbedder

HOLD = """
import sys, time
from pathlib import Path
from bot.mining.lock import model_lock
with model_lock(Path(sys.argv[1]), what="scheduled"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_second_holder_waits_then_fails_naming_the_first(tmp_path: Path) -> None:
    with model_lock(tmp_path):
        with pytest.raises(InputError, match=r"另一个挖掘任务（进程 \d+"):
            with model_lock(tmp_path, wait_s=0.3):
                pass
    with model_lock(tmp_path, wait_s=0.3):  # released: free again
        assert holder(tmp_path) is not None


def test_the_lock_holds_across_processes_and_says_who_holds_it(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        found = holder(tmp_path)
        assert found is not None and found["pid"] == other.pid and found["what"] == "scheduled"
        with pytest.raises(InputError, match=f"进程 {other.pid}"):
            with model_lock(tmp_path, wait_s=0.3):
                pass
    finally:
        assert other.stdin is not None
        other.stdin.write("\n")
        other.stdin.flush()
        other.wait(timeout=30)
    assert holder(tmp_path) is None  # the process ended: its lock is gone


def _rows(source: str, texts: list[str]) -> list[MinedRow]:
    return [MinedRow(source, i + 2, text) for i, text in enumerate(texts)]


def test_overlapping_runs_on_one_model_lose_no_rows(tmp_path: Path) -> None:
    """Two runs at once, each adding its own rows to one saved model: the model ends with
    every row of both (unserialised, the later save would drop the earlier run's rows)."""
    first = _rows("/a.csv", GROUPS["shebao"] + GROUPS["huzhao"])
    second = _rows("/b.csv", GROUPS["gongjijin"] + GROUPS["shebao"])
    options = MineOptions(min_size=2, threshold=THRESHOLD)
    mine(first[:3], CountingEmbedder(), model_dir=tmp_path, options=options)
    started = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(rows: list[MinedRow]) -> None:
        started.wait()
        try:
            mine(rows, CountingEmbedder(), model_dir=tmp_path, options=options)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(rows,)) for rows in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    model = ClusterModel.load(tmp_path)
    assert model is not None
    assert set(model.rows) == {r.key for r in first + second}
    latest = load_latest(tmp_path)
    assert latest is not None and latest["rows"] == len(first) + len(second)


def test_a_run_waits_for_the_lock_instead_of_failing(tmp_path: Path) -> None:
    rows = _rows("/a.csv", GROUPS["shebao"])
    done: list[float] = []
    with model_lock(tmp_path):
        worker = threading.Thread(target=lambda: done.append(mine(
            rows, CountingEmbedder(), model_dir=tmp_path,
            options=MineOptions(min_size=2, threshold=THRESHOLD)).meta["rows"]))
        worker.start()
        time.sleep(0.5)
        assert done == [] and load_latest(tmp_path) is None  # still waiting
    worker.join(timeout=60)
    assert done == [len(rows)]


def test_the_latest_report_is_saved_beside_the_model(tmp_path: Path) -> None:
    report = mine(_rows("/a.csv", GROUPS["shebao"] + GROUPS["huzhao"]), CountingEmbedder(),
                  model_dir=tmp_path, options=MineOptions(min_size=2, threshold=THRESHOLD))
    latest = load_latest(tmp_path)
    assert latest == report.to_json()
    assert latest["model"]["created_at"]  # names the model its cluster ids belong to


def test_an_unreadable_latest_report_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / LATEST_FILE).write_text("{not json", encoding="utf-8")
    assert load_latest(tmp_path) is None
    save_latest({"clusters": [], "rows": 0}, tmp_path)
    assert load_latest(tmp_path) == {"clusters": [], "rows": 0}
