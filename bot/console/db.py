"""The console's path to the database: the store's own engine and transactions.

The console tables live in the store's database (named migrations in bot/store/migrations.py)
so sign-in, the knowledge base and the deflection log share one backup, one URL and the
store's retry and error handling (bot/store/db.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from bot.errors import ConfigError
from bot.store.db import Database

T = TypeVar("T")
Clock = Callable[[], datetime]


class ConsoleDb:
    def __init__(self, database: Database, clock: Clock = datetime.now) -> None:
        self._db = database
        # Naive local wall-clock time, like every time the store writes (schema.py).
        self.clock = clock

    @classmethod
    def from_store(cls, store: Any, clock: Clock = datetime.now) -> ConsoleDb:
        # SqlStore keeps its Database private; the console must write through the same
        # one (BEGIN IMMEDIATE on SQLite, retries, clear errors) rather than open another.
        database = getattr(store, "_db", None)
        if not isinstance(database, Database):
            raise ConfigError(
                f"the console needs the SQL store (bot.store.sql.SqlStore), "
                f"got {type(store).__name__}: set BOT_DATABASE_URL or use the default SQLite"
            )
        return cls(database, clock)

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def read(self, work: Callable[[Connection], T]) -> T:
        return self._db.read(work)

    def write(self, work: Callable[[Connection], T]) -> T:
        return self._db.write(work)

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
