"""Console fixtures: every test runs on SQLite and, when BOT_TEST_POSTGRES_URL is set
(scripts/start-postgres.sh), on PostgreSQL too (the store tests' convention)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bot.console import passwords
from bot.store.sql import SqlStore
from tests.unit.console.console_helpers import ConsoleRig, build_rig

PG_ENV = "BOT_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cost is stored in each hash, so a cheaper one only makes the tests faster;
    # test_passwords checks the real default.
    monkeypatch.setattr(passwords, "N", 2**8)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store' / 'bot.db'}"
    else:
        url = os.environ.get(PG_ENV, "")
        if not url:
            pytest.skip(f"PostgreSQL not configured: set {PG_ENV} (scripts/start-postgres.sh)")
        _reset_postgres(url)
    with SqlStore(url) as opened:
        yield opened


@pytest.fixture
def rig(tmp_path: Path, store: SqlStore) -> Iterator[ConsoleRig]:
    built = build_rig(tmp_path, store)
    yield built
    built.close()


@pytest.fixture
def editor(rig: ConsoleRig) -> TestClient:
    return rig.signed_in("editor")


@pytest.fixture
def reviewer(rig: ConsoleRig) -> TestClient:
    return rig.signed_in("reviewer")


@pytest.fixture
def manager(rig: ConsoleRig) -> TestClient:
    return rig.signed_in("manager")


@pytest.fixture
def admin(rig: ConsoleRig) -> TestClient:
    return rig.signed_in("admin")


@pytest.fixture
def anonymous(rig: ConsoleRig) -> TestClient:
    return rig.client()
