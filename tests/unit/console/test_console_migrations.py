"""The console's named migrations bring an existing deflection log up to date."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from bot.store.db import Database
from bot.store.migrations import MIGRATIONS, apply_one
from bot.store.sql import SqlStore

CONSOLE = ["0004_console_users_sessions", "0005_audit_log", "0006_kb_entries_revisions",
           "0007_publish_jobs"]
TABLES = {"console_users", "console_sessions", "audit_log", "kb_entries", "kb_revisions",
          "publish_jobs"}


def test_a_store_from_before_the_console_gets_its_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    for migration in MIGRATIONS[:3]:
        db.write(lambda conn, m=migration: apply_one(conn, m))
    db.dispose()
    with SqlStore(url, migrate=False) as store:
        # The console's migrations, then any the store gained later (0008_feedback, ...).
        assert store.migrate() == [*CONSOLE, *(m.name for m in MIGRATIONS[7:])]
        names = set(store.read(lambda conn: inspect(conn).get_table_names()))
    assert TABLES <= names


def test_the_console_migrations_come_after_the_stores() -> None:
    assert [m.name for m in MIGRATIONS][3:7] == CONSOLE
