"""Two writers on one store (the gateway and the action server): nothing lost, no collisions."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.store.base import Channel, Turn
from bot.store.schema import turns
from bot.store.sql import SqlStore

T0 = datetime(2026, 3, 2, 9, 0)
THREADS = 4
PER_THREAD = 40


def _run_threads(target: Callable[[int], None], count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(n: int) -> None:
        barrier.wait()
        try:
            target(n)
        except BaseException as err:  # asserted by the caller
            errors.append(err)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_two_stores_writing_turns_from_threads_lose_nothing(
    open_store: Callable[..., SqlStore],
) -> None:
    stores = [open_store(), open_store()]
    ids: list[int] = []

    def write(n: int) -> None:
        store = stores[n % 2]
        for i in range(PER_THREAD):
            # Every thread also writes into one shared session, as two processes do.
            sid = "shared" if i % 2 else f"thread-{n}"
            at = T0 + timedelta(seconds=i)
            ids.append(store.record_turn(Turn(sid, Channel.CHAT, f"问题 {n}-{i}", at)))

    assert _run_threads(write, THREADS) == []
    assert len(set(ids)) == THREADS * PER_THREAD
    count = stores[0].read(
        lambda conn: conn.execute(select(func.count()).select_from(turns)).scalar()
    )
    assert count == THREADS * PER_THREAD
    shared = stores[1].get_turns("shared")
    assert len(shared) == THREADS * PER_THREAD // 2
    assert stores[0].get_session("shared").started_at == T0 + timedelta(seconds=1)  # type: ignore[union-attr]


def test_concurrent_work_orders_get_distinct_consecutive_numbers(
    open_store: Callable[..., SqlStore],
) -> None:
    stores = [open_store(clock=lambda: T0), open_store(clock=lambda: T0)]
    numbers: list[str] = []

    def write(n: int) -> None:
        for i in range(10):
            order = stores[n % 2].create_work_order(f"s{n}-{i}", "路灯坏了", "幸福路", None)
            numbers.append(order.number)

    assert _run_threads(write, THREADS) == []
    assert sorted(numbers) == [f"GD20260302-{k:06d}" for k in range(1, THREADS * 10 + 1)]


WRITER = """
import sys
from datetime import datetime
from bot.store.base import Channel, Turn
from bot.store.sql import SqlStore
store = SqlStore(sys.argv[1])
for i in range(int(sys.argv[2])):
    store.record_turn(Turn("other-process", Channel.VOICE, f"问题 {i}", datetime(2026, 3, 2, 9, 0)))
store.close()
"""


def test_another_process_writing_the_same_sqlite_file_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    with SqlStore(url) as store:
        child = subprocess.Popen([sys.executable, "-c", WRITER, url, "150"])
        for i in range(150):
            store.record_turn(Turn("this-process", Channel.CHAT, f"问题 {i}", T0))
        assert child.wait(timeout=120) == 0
        assert len(store.get_turns("other-process")) == 150
        assert len(store.get_turns("this-process")) == 150
