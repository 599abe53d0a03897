"""The one path to the database: engine set-up, transactions, retries, clear errors.

SQLite is written by two processes (gateway and action server), so: WAL (readers never
block the writer), busy_timeout 5000 ms, foreign keys on, and write transactions that start
with BEGIN IMMEDIATE, so a writer waits for the lock up front instead of failing halfway
with "database is locked" when it upgrades from reading to writing.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from bot.store.errors import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")
_WRITE_OPTION = "bot_store_write"
WRITE_ATTEMPTS = 4
_BUSY_TIMEOUT_MS = 5000


def normalise_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (psycopg2 is not installed)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _on_sqlite_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # We emit BEGIN ourselves (see _on_sqlite_begin); pysqlite's implicit BEGIN is off.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL never corrupts; a power cut may lose the last commits only.
            cursor.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as err:
            # A read-only file cannot switch journal mode; reading still works.
            log.warning("store: cannot switch SQLite to WAL mode (%s); continuing", err)
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """An engine plus the read and write paths every store operation goes through."""

    def __init__(self, url: str) -> None:
        url = normalise_url(url)
        try:
            parsed = make_url(url)
        except ArgumentError as err:
            raise StoreError(
                f"database URL {url!r} cannot be parsed: use sqlite:///PATH or "
                "postgresql://USER@HOST:PORT/DB"
            ) from err
        self.dialect = parsed.get_backend_name()
        if self.dialect not in {"sqlite", "postgresql"}:
            raise StoreError(
                f"database URL {parsed.render_as_string(hide_password=True)!r} is not "
                "supported: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
            )
        self.where = self._describe(parsed)
        self.engine = self._create_engine(url, parsed.database or "")

    def _describe(self, parsed: Any) -> str:
        if self.dialect == "sqlite":
            return f"store file {parsed.database or ':memory:'}"
        return f"database {parsed.render_as_string(hide_password=True)}"

    def _create_engine(self, url: str, database: str) -> Engine:
        if self.dialect != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        memory = database in {"", ":memory:"}
        if not memory:
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(
                    f"cannot create the store folder {folder}: {err.strerror}; create it or "
                    "set BOT_DATA_DIR / BOT_DATABASE_URL to a writable place"
                ) from err
        # One shared connection for :memory: so every thread sees the same database.
        kwargs: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction; retry while the database is locked."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self.engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn:
                    with conn.begin():
                        return work(conn)
            except DBAPIError as err:
                if attempt < WRITE_ATTEMPTS and _retryable(err):
                    log.warning("store: %s is busy (attempt %d), retrying", self.where, attempt)
                    time.sleep(0.05 * 2**attempt)
                    continue
                raise self.translate(err) from err
            except SQLAlchemyError as err:
                raise self.translate(err) from err
        raise AssertionError("unreachable")  # the loop returns or raises

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a read transaction."""
        try:
            with self.engine.connect() as conn:
                with conn.begin():
                    return work(conn)
        except SQLAlchemyError as err:
            raise self.translate(err) from err

    def translate(self, err: SQLAlchemyError) -> StoreError:
        """One clear message for a database failure: what, where, and the fix."""
        detail = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        low = detail.lower()
        if "readonly" in low or "read-only" in low:
            return StoreError(
                f"{self.where} is read-only ({detail}): make the file and its folder writable "
                "by this user, or set BOT_DATABASE_URL to another store; nothing was changed"
            )
        if "locked" in low or "busy" in low:
            return StoreError(
                f"{self.where} is locked by another process ({detail}) for more than "
                f"{WRITE_ATTEMPTS} tries of {_BUSY_TIMEOUT_MS} ms: check for a stuck process "
                "holding it; nothing was changed"
            )
        if "unable to open" in low:
            return StoreError(
                f"cannot open {self.where} ({detail}): check that the file and its folder "
                "exist and are readable and writable by this user"
            )
        if (
            self.dialect == "postgresql"
            and isinstance(err, DBAPIError)
            and err.connection_invalidated
        ):
            return StoreError(f"lost the connection to {self.where} ({detail}): retry")
        if "connection" in low and self.dialect == "postgresql":
            return StoreError(
                f"cannot connect to {self.where} ({detail}): is PostgreSQL running and the URL "
                "right?"
            )
        return StoreError(f"{self.where}: the operation failed ({detail})")

    def dispose(self) -> None:
        self.engine.dispose()


def _retryable(err: DBAPIError) -> bool:
    """Lock contention, or a PostgreSQL conflict that rolled the transaction back."""
    low = str(err.orig).lower()
    if (
        "database is locked" in low
        or "database is busy" in low
        or "database table is locked" in low
    ):
        return True
    code = getattr(err.orig, "sqlstate", None)
    return code in {"40001", "40P01"}  # serialization_failure, deadlock_detected
