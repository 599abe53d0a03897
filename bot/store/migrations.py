"""Named schema migrations, applied in order, each once, each in its own transaction.

Every applied name is recorded in `schema_migrations`. A migration never changes once
released: add a new one instead. Table shapes here are frozen snapshots (not the live
definitions in schema.py), so migration 0001 creates what 0001 created even after 0003 added
a column. Two processes opening a new store at once are serialised by the write lock
(SQLite, BEGIN IMMEDIATE) or an advisory lock (PostgreSQL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection

from bot.store.schema import ID_TYPE, schema_migrations

log = logging.getLogger(__name__)

# Any constant: PostgreSQL advisory lock key for "migrating the deflection log".
_PG_LOCK_KEY = 12345_0001


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Connection], None] | tuple[str, ...]

    def run(self, conn: Connection) -> None:
        if callable(self.apply):
            self.apply(conn)
        else:
            for statement in self.apply:
                conn.execute(text(statement))


def _sessions_turns(conn: Connection) -> None:
    md = MetaData()
    Table(
        "sessions",
        md,
        Column("session_id", String(128), primary_key=True),
        Column("channel", String(16), nullable=False),
        Column("started_at", DateTime(), nullable=False),
        Column("ended_at", DateTime()),
        Column("last_turn_at", DateTime()),
        Column("outcome", String(16)),
        Column("confirmed", Boolean(), nullable=False),
        Column("reason", String(32)),
        Column("faq_id", String(128)),
        Column("answered_faq_id", String(128)),
        Index("ix_sessions_started_at", "started_at"),
    )
    Table(
        "turns",
        md,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column(
            "session_id",
            String(128),
            ForeignKey("sessions.session_id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("at", DateTime(), nullable=False),
        Column("channel", String(16), nullable=False),
        Column("text", Text(), nullable=False),
        Column("intent", String(64)),
        Column("intent_confidence", Float()),
        Column("candidates", Text(), nullable=False),
        Column("decision", String(16)),
        Column("faq_id", String(128)),
        Column("reply", Text(), nullable=False),
        Column("latency_ms", Float()),
        Column("asr_confidence", Float()),
        Index("ix_turns_session_id", "session_id"),
        Index("ix_turns_at", "at"),
    )
    md.create_all(conn)


def _work_orders(conn: Connection) -> None:
    md = MetaData()
    Table("sessions", md, Column("session_id", String(128), primary_key=True))
    orders = Table(
        "work_orders",
        md,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("number", String(32), nullable=False, unique=True),
        Column(
            "session_id",
            String(128),
            ForeignKey("sessions.session_id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("what", Text(), nullable=False),
        Column("where_", Text(), nullable=False),
        Column("phone_masked", String(32), nullable=False),
        Column("category", String(64), nullable=False),
        Column("created_at", DateTime(), nullable=False),
        Index("ix_work_orders_created_at", "created_at"),
    )
    sequences = Table(
        "work_order_sequences",
        md,
        Column("day", String(8), primary_key=True),
        Column("last", Integer(), nullable=False),
    )
    md.create_all(conn, tables=[orders, sequences])


def _console_users_sessions(conn: Connection) -> None:
    md = MetaData()
    users = Table(
        "console_users",
        md,
        Column("username", String(64), primary_key=True),
        Column("role", String(16), nullable=False),
        Column("display_name", String(100), nullable=False),
        Column("password_hash", Text(), nullable=False),
        Column("active", Boolean(), nullable=False),
        Column("failed_logins", Integer(), nullable=False),
        Column("locked_until", DateTime()),
        Column("created_at", DateTime(), nullable=False),
        Column("updated_at", DateTime(), nullable=False),
    )
    sessions = Table(
        "console_sessions",
        md,
        Column("token_hash", String(64), primary_key=True),
        Column(
            "username",
            String(64),
            ForeignKey("console_users.username", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("created_at", DateTime(), nullable=False),
        Column("last_seen_at", DateTime(), nullable=False),
        Column("expires_at", DateTime(), nullable=False),
        Index("ix_console_sessions_username", "username"),
    )
    md.create_all(conn, tables=[users, sessions])


def _audit_log(conn: Connection) -> None:
    md = MetaData()
    Table(
        "audit_log",
        md,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("at", DateTime(), nullable=False),
        Column("username", String(64), nullable=False),
        Column("action", String(32), nullable=False),
        Column("entity", String(200), nullable=False),
        Column("before", Text()),
        Column("after", Text()),
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity"),
    )
    md.create_all(conn)


def _kb_entries_revisions(conn: Connection) -> None:
    md = MetaData()
    Table(
        "kb_entries",
        md,
        Column("faq_id", String(64), primary_key=True),
        Column("category", String(200), nullable=False),
        Column("question", Text(), nullable=False),
        Column("similar_questions", Text(), nullable=False),
        Column("answer", Text(), nullable=False),
        Column("department", String(200), nullable=False),
        Column("valid_from", Date()),
        Column("valid_to", Date()),
        Column("status", String(16), nullable=False),
        Column("revision", Integer(), nullable=False),
        Column("published_revision", Integer()),
        Column("updated_at", DateTime(), nullable=False),
        Column("updated_by", String(64), nullable=False),
        Column("review_comment", Text()),
        Index("ix_kb_entries_status", "status"),
    )
    Table(
        "kb_revisions",
        md,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("faq_id", String(64), nullable=False),
        Column("revision", Integer(), nullable=False),
        Column("action", String(32), nullable=False),
        Column("status", String(16), nullable=False),
        Column("content", Text(), nullable=False),
        Column("at", DateTime(), nullable=False),
        Column("by", String(64), nullable=False),
        Column("comment", Text()),
        Index("ux_kb_revisions_faq_revision", "faq_id", "revision", unique=True),
    )
    md.create_all(conn)


def _publish_jobs(conn: Connection) -> None:
    md = MetaData()
    Table(
        "publish_jobs",
        md,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("state", String(16), nullable=False),
        Column("requested_by", String(64), nullable=False),
        Column("requested_at", DateTime(), nullable=False),
        Column("reason", String(200), nullable=False),
        Column("started_at", DateTime()),
        Column("finished_at", DateTime()),
        Column("version", String(128)),
        Column("error", Text()),
        Index("ix_publish_jobs_state", "state"),
    )
    md.create_all(conn)


def _feedback(conn: Connection) -> None:
    md = MetaData()
    Table("sessions", md, Column("session_id", String(128), primary_key=True))
    table = Table(
        "feedback",
        md,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column(
            "session_id",
            String(128),
            ForeignKey("sessions.session_id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("faq_id", String(128), nullable=False),
        Column("turn_id", ID_TYPE),
        Column("helped", Boolean(), nullable=False),
        Column("at", DateTime(), nullable=False),
        Index("ix_feedback_session_id", "session_id"),
    )
    md.create_all(conn, tables=[table])


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_sessions_turns", _sessions_turns),
    Migration("0002_work_orders", _work_orders),
    Migration("0003_handover_summary", ("ALTER TABLE sessions ADD COLUMN handover_summary TEXT",)),
    Migration("0004_console_users_sessions", _console_users_sessions),
    Migration("0005_audit_log", _audit_log),
    Migration("0006_kb_entries_revisions", _kb_entries_revisions),
    Migration("0007_publish_jobs", _publish_jobs),
    Migration("0008_feedback", _feedback),
)


def applied_migrations(conn: Connection) -> list[str]:
    """Names already applied, in the order they were applied."""
    if not conn.dialect.has_table(conn, "schema_migrations"):
        return []
    rows = conn.execute(
        select(schema_migrations.c.name).order_by(
            schema_migrations.c.applied_at, schema_migrations.c.name
        )
    )
    return [row.name for row in rows]


def pending_migrations(
    conn: Connection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[Migration]:
    done = set(applied_migrations(conn))
    return [m for m in migrations if m.name not in done]


def apply_one(conn: Connection, migration: Migration) -> bool:
    """Apply one migration inside the caller's write transaction, unless another process
    applied it meanwhile; return whether it ran."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    schema_migrations.create(conn, checkfirst=True)
    if migration.name in applied_migrations(conn):
        return False
    log.info("applying migration %s", migration.name)
    migration.run(conn)
    conn.execute(insert(schema_migrations).values(name=migration.name, applied_at=datetime.now()))
    return True
