"""A store file or folder that cannot be written: one clear StoreError, and what was
recorded stays readable and intact.

Root can write any file, so when the tests run as root (as CI does) the store is opened
with the effective user switched to `nobody`, which is what file permissions apply to.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.store import db as store_db
from bot.store.base import Channel, Outcome, Turn
from bot.store.errors import StoreError
from bot.store.sql import SqlStore

T0 = datetime(2026, 3, 2, 9, 0)


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Act as a user whom file permissions bind (nobody, when we are root)."""
    if os.geteuid() != 0:
        yield
        return
    nobody = pwd.getpwnam("nobody")
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def folder() -> Iterator[Path]:
    # Not tmp_path: pytest makes that 0700, which `nobody` cannot even enter.
    path = Path(tempfile.mkdtemp(prefix="bot-store-ro-"))
    path.chmod(0o755)
    yield path
    path.chmod(0o755)
    shutil.rmtree(path)


def _recorded_store(folder: Path) -> str:
    url = f"sqlite:///{folder / 'bot.db'}"
    with SqlStore(url) as store:
        store.record_turn(
            Turn("s1", Channel.CHAT, "怎么办居住证", T0, decision="answer", faq_id="F1")
        )
        store.close_session("s1", at=T0)
    return url


def _intact(folder: Path) -> None:
    conn = sqlite3.connect(folder / "bot.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM turns").fetchone() == (1,)
        assert conn.execute("SELECT outcome FROM sessions").fetchall() == [("deflected",)]
    finally:
        conn.close()


def test_read_only_file_gives_a_clear_error_and_stays_readable(folder: Path) -> None:
    url = _recorded_store(folder)
    (folder / "bot.db").chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(0o777)  # the folder stays writable: only the file is read-only
    with unprivileged():
        store = SqlStore(url)
        try:
            record = store.get_session("s1")
            with pytest.raises(StoreError, match=r"bot\.db is read-only .*make the file"):
                store.record_turn(Turn("s2", Channel.CHAT, "新问题", T0))
        finally:
            store.close()
    assert record is not None and record.outcome is Outcome.DEFLECTED
    _intact(folder)


def test_read_only_folder_gives_a_clear_error(folder: Path) -> None:
    url = _recorded_store(folder)
    (folder / "bot.db").chmod(0o444)
    folder.chmod(0o555)
    with unprivileged():
        with pytest.raises(StoreError, match=r"store file .*bot\.db") as info:
            store = SqlStore(url)
            try:
                store.record_turn(Turn("s2", Channel.CHAT, "新问题", T0))
            finally:
                store.close()
    assert "Traceback" not in str(info.value)
    folder.chmod(0o755)
    _intact(folder)


def test_a_folder_that_cannot_be_created_is_a_store_error(folder: Path) -> None:
    folder.chmod(0o555)
    with unprivileged():
        with pytest.raises(StoreError, match="cannot create the store folder"):
            SqlStore(f"sqlite:///{folder / 'var' / 'bot.db'}")


def test_a_store_locked_too_long_is_a_store_error_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "_BUSY_TIMEOUT_MS", 20)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    with SqlStore(url) as store:
        blocker = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        try:
            with pytest.raises(StoreError, match="is locked by another process"):
                store.record_turn(Turn("s1", Channel.CHAT, "问题", T0))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert store.get_session("s1") is None
        store.record_turn(Turn("s1", Channel.CHAT, "问题", T0))  # fine once it is released
        assert len(store.get_turns("s1")) == 1


def test_a_database_that_is_not_sqlite_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "bot.db").write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="store file"):
        SqlStore(f"sqlite:///{tmp_path / 'bot.db'}")


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls_are_store_errors(url: str) -> None:
    with pytest.raises(StoreError, match="sqlite:///PATH or postgresql://"):
        SqlStore(url)


def test_an_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot connect to database"):
        SqlStore("postgresql://bot@127.0.0.1:1/none")
