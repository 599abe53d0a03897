"""Store fixtures: every store test runs on SQLite and, when a server is given, PostgreSQL.

PostgreSQL runs only when BOT_TEST_POSTGRES_URL is set (scripts/start-postgres.sh prints it);
each test starts from an empty `public` schema in that database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.store.sql import SqlStore

PG_ENV = "BOT_TEST_POSTGRES_URL"
PG_SKIP = (
    f"PostgreSQL not configured: set {PG_ENV} "
    '(run `eval "$(scripts/start-postgres.sh)"` as root) to run the store tests on it too'
)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'bot.db'}"
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    _reset_postgres(url)
    return url


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[..., SqlStore]]:
    """Open more SqlStore instances on the same database (like gateway + action server);
    keyword arguments go to SqlStore (e.g. clock=...)."""
    opened: list[SqlStore] = []

    def factory(**kwargs: Any) -> SqlStore:
        store = SqlStore(store_url, **kwargs)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., SqlStore]) -> SqlStore:
    return open_store()
