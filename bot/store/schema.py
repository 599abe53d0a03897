"""The deflection log's tables as they are after every migration (queries use these).

Dialect-neutral types only, so one definition serves SQLite and PostgreSQL. Times are naive
local wall-clock times (the hotline's time zone): the store converts aware datetimes before
writing, and per-hour statistics need no time-zone arithmetic in SQL. JSON is TEXT.
`migrations.py` creates these shapes step by step; a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# SQLite only makes INTEGER PRIMARY KEY an auto-increment rowid; PostgreSQL gets a BIGINT.
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")
SESSION_ID_MAX = 128

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("applied_at", DateTime(), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(SESSION_ID_MAX), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("started_at", DateTime(), nullable=False),
    Column("ended_at", DateTime()),
    Column("last_turn_at", DateTime()),
    Column("outcome", String(16)),  # NULL while the session is open
    Column("confirmed", Boolean(), nullable=False, default=False),
    Column("reason", String(32)),
    Column("faq_id", String(128)),
    Column("answered_faq_id", String(128)),  # the last entry the bot answered with
    Column("handover_summary", Text()),  # JSON
    Index("ix_sessions_started_at", "started_at"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column(
        "session_id",
        String(SESSION_ID_MAX),
        ForeignKey("sessions.session_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", DateTime(), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("text", Text(), nullable=False),  # PII masked
    Column("intent", String(64)),
    Column("intent_confidence", Float()),
    Column("candidates", Text(), nullable=False),  # JSON [{"faq_id", "score"}]
    Column("decision", String(16)),
    Column("faq_id", String(128)),
    Column("reply", Text(), nullable=False),  # PII masked, first 2,000 characters
    Column("latency_ms", Float()),
    Column("asr_confidence", Float()),
    Index("ix_turns_session_id", "session_id"),
    Index("ix_turns_at", "at"),
)

work_orders = Table(
    "work_orders",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("number", String(32), nullable=False, unique=True),
    Column(
        "session_id",
        String(SESSION_ID_MAX),
        ForeignKey("sessions.session_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("what", Text(), nullable=False),  # PII masked
    Column("where_", Text(), nullable=False),  # PII masked
    Column("phone_masked", String(32), nullable=False),
    Column("category", String(64), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Index("ix_work_orders_created_at", "created_at"),
)

# One row a day: the last work-order number handed out. The UPDATE that bumps it takes a
# row lock (PostgreSQL) or the write lock (SQLite), so concurrent writers never collide.
work_order_sequences = Table(
    "work_order_sequences",
    metadata,
    Column("day", String(8), primary_key=True),  # yyyymmdd
    Column("last", Integer(), nullable=False),
)
