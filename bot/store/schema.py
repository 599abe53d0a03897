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

# The citizen's "did this help?" answer, one row per answered question: `turn_id` is the
# turn whose reply was the answer (NULL when none was recorded yet), so a later question or
# hand-over in the same session does not undo it. The session's own outcome stays the last.
feedback = Table(
    "feedback",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column(
        "session_id",
        String(SESSION_ID_MAX),
        ForeignKey("sessions.session_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("faq_id", String(128), nullable=False),
    Column("turn_id", ID_TYPE),
    Column("helped", Boolean(), nullable=False),
    Column("at", DateTime(), nullable=False),
    Index("ix_feedback_session_id", "session_id"),
)

# One row a day: the last work-order number handed out. The UPDATE that bumps it takes a
# row lock (PostgreSQL) or the write lock (SQLite), so concurrent writers never collide.
work_order_sequences = Table(
    "work_order_sequences",
    metadata,
    Column("day", String(8), primary_key=True),  # yyyymmdd
    Column("last", Integer(), nullable=False),
)

# -- the knowledge-editor console (bot/console/) -------------------------------------------

console_users = Table(
    "console_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", Text(), nullable=False),  # scrypt$n$r$p$salt$hash (base64)
    Column("active", Boolean(), nullable=False, default=True),
    Column("failed_logins", Integer(), nullable=False, default=0),
    Column("locked_until", DateTime()),
    Column("created_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
)

# The cookie carries a random token; only its SHA-256 is stored, so a copy of the
# database does not hand out live sessions.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "username",
        String(64),
        ForeignKey("console_users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", DateTime(), nullable=False),
    Column("last_seen_at", DateTime(), nullable=False),
    Column("expires_at", DateTime(), nullable=False),  # the absolute limit
    Index("ix_console_sessions_username", "username"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("at", DateTime(), nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("entity", String(200), nullable=False),  # entry:ID, user:NAME, version:NAME, ...
    Column("before", Text()),  # JSON
    Column("after", Text()),  # JSON
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_entity", "entity"),
)

# The working state of each entry; `published_revision` names the revision whose content
# is (or will be, once its publish job runs) in the index, so editing a published entry
# does not change what citizens get until a reviewer approves the new revision.
kb_entries = Table(
    "kb_entries",
    metadata,
    Column("faq_id", String(64), primary_key=True),
    Column("category", String(200), nullable=False),
    Column("question", Text(), nullable=False),
    Column("similar_questions", Text(), nullable=False),  # JSON list
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

kb_revisions = Table(
    "kb_revisions",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("faq_id", String(64), nullable=False),
    Column("revision", Integer(), nullable=False),
    Column("action", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("content", Text(), nullable=False),  # JSON of the entry's fields
    Column("at", DateTime(), nullable=False),
    Column("by", String(64), nullable=False),
    Column("comment", Text()),
    Index("ux_kb_revisions_faq_revision", "faq_id", "revision", unique=True),
)

publish_jobs = Table(
    "publish_jobs",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("state", String(16), nullable=False),  # queued, running, done, failed
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", DateTime(), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("started_at", DateTime()),
    Column("finished_at", DateTime()),
    Column("version", String(128)),
    Column("error", Text()),
    Index("ix_publish_jobs_state", "state"),
)
