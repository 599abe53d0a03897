"""Named migrations: recorded once, idempotent, transactional, and ending at schema.py."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import inspect, select, text

from bot.store.db import Database
from bot.store.errors import StoreError
from bot.store.migrations import MIGRATIONS, Migration, applied_migrations, apply_one
from bot.store.schema import metadata, schema_migrations
from bot.store.sql import SqlStore

NAMES = [m.name for m in MIGRATIONS]


def _recorded(store: SqlStore) -> list[str]:
    return store.read(lambda conn: list(conn.execute(select(schema_migrations.c.name)).scalars()))


def test_migration_names_are_unique_and_ordered() -> None:
    assert NAMES == sorted(set(NAMES))
    assert NAMES[:3] == ["0001_sessions_turns", "0002_work_orders", "0003_handover_summary"]


def test_a_new_store_records_every_migration_once(store: SqlStore) -> None:
    assert sorted(_recorded(store)) == NAMES


def test_migrate_again_applies_nothing(store: SqlStore, open_store) -> None:  # type: ignore[no-untyped-def]
    assert store.migrate() == []
    second = open_store()
    assert second.migrate() == []
    assert sorted(_recorded(second)) == NAMES


def test_migrated_schema_matches_schema_py(store: SqlStore) -> None:
    def shape(conn):  # type: ignore[no-untyped-def]
        inspector = inspect(conn)
        return {
            name: (
                {c["name"] for c in inspector.get_columns(name)},
                {i["name"] for i in inspector.get_indexes(name)},
            )
            for name in inspector.get_table_names()
        }

    actual = store.read(shape)
    for table in metadata.sorted_tables:
        columns, indexes = actual[table.name]
        assert columns == {c.name for c in table.columns}, table.name
        assert {i.name for i in table.indexes} <= indexes, table.name
    assert {"ix_turns_session_id", "ix_turns_at"} <= actual["turns"][1]
    assert "ix_sessions_started_at" in actual["sessions"][1]


def test_an_older_database_is_brought_up_to_date_keeping_its_data(store_url: str) -> None:
    db = Database(store_url)
    for migration in MIGRATIONS[:2]:
        db.write(lambda conn, m=migration: apply_one(conn, m))
    db.write(
        lambda conn: conn.execute(
            text(
                "INSERT INTO sessions (session_id, channel, started_at, confirmed) "
                "VALUES ('old', 'chat', :at, false)"
            ),
            {"at": datetime(2026, 1, 5, 9, 30)},
        )
    )
    db.dispose()
    with SqlStore(store_url, migrate=False) as store:
        assert store.migrate() == [m.name for m in MIGRATIONS[2:]]
        record = store.get_session("old")
    assert record is not None
    assert record.started_at == datetime(2026, 1, 5, 9, 30)
    assert record.handover_summary == {}


def test_a_failing_migration_is_rolled_back_and_not_recorded(
    store: SqlStore, store_url: str
) -> None:
    db = Database(store_url)
    bad = Migration("9999_bad", ("CREATE TABLE half_done (x INTEGER)", "CREATE TABLE broken ("))
    with pytest.raises(StoreError, match="the operation failed"):
        db.write(lambda conn: apply_one(conn, bad))
    assert "half_done" not in db.read(lambda conn: inspect(conn).get_table_names())
    assert "9999_bad" not in db.read(applied_migrations)
    db.dispose()


def test_two_processes_opening_a_new_store_at_once_migrate_once(store_url: str) -> None:
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []
    stores: list[SqlStore] = []

    def open_it() -> None:
        barrier.wait()
        try:
            stores.append(SqlStore(store_url))
        except BaseException as err:  # collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(_recorded(stores[0])) == NAMES
    for s in stores:
        s.close()
