"""`SqlStore`: the deflection log on SQLite (default) or PostgreSQL, by URL.

Every method that writes runs as one transaction through `Database.write`. Any method may be
the first to mention a session (the action server can record a hand-over before the gateway
records the turn), so each creates the session if needed; such a session is `chat` until its
first turn names the channel. Times are naive local times (see schema.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement

from bot.errors import InputError
from bot.settings import Settings
from bot.store import feedback, inputs, records
from bot.store.base import (
    Channel,
    Outcome,
    SessionRecord,
    TransferReason,
    Turn,
    WorkOrder,
)
from bot.store.db import Database
from bot.store.migrations import apply_one, pending_migrations
from bot.store.pii import mask_phone, validate_phone
from bot.store.schema import sessions, turns, work_order_sequences, work_orders

T = TypeVar("T")

# Decisions after which the bot's last act was not an answer (close -> abandoned).
_FAILED_DECISIONS = {"clarify", "handover"}


class SqlStore:
    def __init__(
        self, url: str, *, migrate: bool = True, clock: Callable[[], datetime] = datetime.now
    ) -> None:
        # `clock` gives the time of events the caller does not date (work orders,
        # hand-overs, a missing `at`): naive local time, replaceable in tests.
        self._clock = clock
        self._db = Database(url)
        self.engine: Engine = self._db.engine
        self.where = self._db.where
        if migrate:
            self.migrate()

    @classmethod
    def from_settings(cls, settings: Settings) -> SqlStore:
        return cls(settings.resolved_database_url)

    def close(self) -> None:
        self._db.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        # Look first with a read: a fully migrated read-only store must still open.
        pending = self._db.read(pending_migrations)
        applied = []
        for migration in pending:
            if self._db.write(partial(apply_one, migration=migration)):
                applied.append(migration.name)
        return applied

    def _when(self, at: object, field: str = "at") -> datetime:
        return self._clock() if at is None else inputs.moment(at, field)

    # -- sessions ----------------------------------------------------------------------

    def _ensure_session(
        self, conn: Connection, session_id: str, at: datetime, channel: Channel = Channel.CHAT
    ) -> None:
        values = {
            "session_id": session_id,
            "channel": channel.value,
            "started_at": at,
            "confirmed": False,
        }
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        conn.execute(dialect.insert(sessions).values(**values).on_conflict_do_nothing())

    def start_session(self, session_id: str, channel: Channel, at: datetime | None = None) -> None:
        sid = inputs.session_id(session_id)
        ch = inputs.enum_value(Channel, channel, "channel")
        when = self._when(at)

        def work(conn: Connection) -> None:
            self._ensure_session(conn, sid, when, ch)
            # A session first seen by the action server gets its real channel here.
            conn.execute(
                update(sessions)
                .where(sessions.c.session_id == sid, sessions.c.last_turn_at.is_(None))
                .values(channel=ch.value)
            )

        self._db.write(work)

    def record_turn(self, turn: Turn) -> int:
        if not isinstance(turn, Turn):
            raise InputError(f"record_turn needs a Turn, got {type(turn).__name__}")
        sid = inputs.session_id(turn.session_id)
        channel = inputs.enum_value(Channel, turn.channel, "turn channel")
        at = self._when(turn.at, "turn time")
        decision = inputs.short(turn.decision, "decision", 16)
        faq_id = inputs.short(turn.faq_id, "faq_id", 128)
        row = {
            "session_id": sid,
            "at": at,
            "channel": channel.value,
            "text": inputs.clean_text(turn.text, "turn text"),
            "intent": inputs.short(turn.intent, "intent", 64),
            "intent_confidence": inputs.number(turn.intent_confidence, "intent_confidence"),
            "candidates": inputs.candidates_json(turn.candidates),
            "decision": decision,
            "faq_id": faq_id,
            "reply": inputs.clean_text(turn.reply, "reply", inputs.REPLY_MAX),
            "latency_ms": inputs.number(turn.latency_ms, "latency_ms"),
            "asr_confidence": inputs.number(turn.asr_confidence, "asr_confidence"),
        }
        changes: dict[str, Any] = {
            "channel": case(
                (sessions.c.last_turn_at.is_(None), channel.value), else_=sessions.c.channel
            ),
            "started_at": case((sessions.c.started_at > at, at), else_=sessions.c.started_at),
            "last_turn_at": case(
                (sessions.c.last_turn_at.is_(None), at),
                (sessions.c.last_turn_at < at, at),
                else_=sessions.c.last_turn_at,
            ),
        }
        if decision == "answer" and faq_id:
            changes["answered_faq_id"] = faq_id
        elif decision in _FAILED_DECISIONS:
            changes["answered_faq_id"] = None

        def work(conn: Connection) -> int:
            self._ensure_session(conn, sid, at, channel)
            conn.execute(update(sessions).where(sessions.c.session_id == sid).values(**changes))
            result = conn.execute(insert(turns).values(**row).returning(turns.c.id))
            return int(result.scalar_one())

        return self._db.write(work)

    def mark_answered(self, session_id: str, faq_id: str) -> None:
        sid = inputs.session_id(session_id)
        fid = inputs.short(faq_id, "faq_id", 128)
        if not fid:
            raise InputError(f"mark_answered needs the faq_id answered, got {faq_id!r}")
        now = self._clock()

        def work(conn: Connection) -> None:
            self._ensure_session(conn, sid, now)
            conn.execute(
                update(sessions).where(sessions.c.session_id == sid).values(answered_faq_id=fid)
            )

        self._db.write(work)

    def end_session(
        self,
        session_id: str,
        outcome: Outcome,
        *,
        confirmed: bool = False,
        reason: TransferReason | None = None,
        faq_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        sid = inputs.session_id(session_id)
        result = inputs.enum_value(Outcome, outcome, "outcome")
        why = None if reason is None else inputs.enum_value(TransferReason, reason, "reason")
        if why is not None and result is not Outcome.TRANSFERRED:
            raise InputError(
                f"a transfer reason ({why.value}) was given for outcome {result.value}: "
                "reasons belong to transferred sessions only"
            )
        if not isinstance(confirmed, bool):
            raise InputError(f"confirmed must be True or False, got {confirmed!r}")
        fid = inputs.short(faq_id, "faq_id", 128)
        when = self._when(at)
        self._db.write(
            lambda conn: self._end(
                conn, sid, result, when, confirmed=confirmed, reason=why, faq_id=fid
            )
        )

    def _end(
        self,
        conn: Connection,
        sid: str,
        outcome: Outcome,
        at: datetime,
        *,
        confirmed: bool = False,
        reason: TransferReason | None = None,
        faq_id: str | None = None,
        summary: str | None = None,
    ) -> None:
        self._ensure_session(conn, sid, at)
        where: ColumnElement[bool] = sessions.c.session_id == sid
        if outcome is Outcome.ABANDONED:  # never overrides an outcome already recorded
            where = and_(where, sessions.c.outcome.is_(None))
        values: dict[str, Any] = {
            "outcome": outcome.value,
            "confirmed": confirmed,
            "reason": reason.value if reason else None,
            "faq_id": func.coalesce(faq_id, sessions.c.answered_faq_id),
            "ended_at": at,
        }
        if summary is not None:
            values["handover_summary"] = summary
        conn.execute(update(sessions).where(where).values(**values))

    def close_session(self, session_id: str, at: datetime | None = None) -> Outcome:
        sid = inputs.session_id(session_id)
        when = self._when(at)

        def work(conn: Connection) -> Outcome:
            self._ensure_session(conn, sid, when)
            conn.execute(
                update(sessions)
                .where(sessions.c.session_id == sid, sessions.c.outcome.is_(None))
                .values(**_closing_values(when))
            )
            value = conn.execute(
                select(sessions.c.outcome).where(sessions.c.session_id == sid)
            ).scalar_one()
            return Outcome(value)

        return self._db.write(work)

    def close_idle_sessions(self, idle_since: datetime) -> int:
        if not isinstance(idle_since, datetime):
            raise InputError(f"idle_since must be a datetime, got {idle_since!r:.60}")
        cutoff = inputs.moment(idle_since, "idle_since")
        last_seen = func.coalesce(sessions.c.last_turn_at, sessions.c.started_at)
        statement = (
            update(sessions)
            .where(sessions.c.outcome.is_(None), last_seen < cutoff)
            # The citizen left after their last turn, not when we noticed.
            .values(**_closing_values(last_seen))
        )
        return self._db.write(lambda conn: int(conn.execute(statement).rowcount))

    def record_feedback(
        self, session_id: str, faq_id: str, helped: bool, at: datetime | None = None
    ) -> None:
        sid = inputs.session_id(session_id)
        fid = inputs.short(faq_id, "faq_id", 128)
        if not fid:
            raise InputError(f"record_feedback needs the faq_id answered, got {faq_id!r}")
        if not isinstance(helped, bool):
            raise InputError(f"helped must be True or False, got {helped!r}")
        when = self._when(at)

        def work(conn: Connection) -> None:
            self._ensure_session(conn, sid, when)
            feedback.write(conn, sid, fid, helped, when)

        self._db.write(work)

    # -- work orders and hand-overs ----------------------------------------------------

    def create_work_order(
        self, session_id: str, what: str, where: str, phone: str | None, category: str = ""
    ) -> WorkOrder:
        sid = inputs.session_id(session_id)
        what_text = inputs.clean_text(what, "work order 'what'")
        where_text = inputs.clean_text(where, "work order 'where'")
        cat = inputs.short(category or "", "category", 64) or ""
        if phone is not None and not isinstance(phone, str):
            raise InputError(f"phone must be text or None, got {type(phone).__name__}")
        phone_masked = ""
        if phone and phone.strip():
            digits = validate_phone(phone)
            if digits is None:
                raise InputError(
                    f"phone {mask_phone(phone)!r} is not a mobile (1[3-9] + 9 digits) or "
                    "landline (0 + area code + 7-8 digits) number: ask the citizen again"
                )
            phone_masked = mask_phone(digits)
        created = self._clock()

        def work(conn: Connection) -> WorkOrder:
            day = created.strftime("%Y%m%d")
            dialect = postgresql if self._db.dialect == "postgresql" else sqlite
            conn.execute(
                dialect.insert(work_order_sequences)
                .values(day=day, last=0)
                .on_conflict_do_nothing()
            )
            seq = conn.execute(
                update(work_order_sequences)
                .where(work_order_sequences.c.day == day)
                .values(last=work_order_sequences.c.last + 1)
                .returning(work_order_sequences.c.last)
            ).scalar_one()
            order = WorkOrder(
                number=f"GD{day}-{seq:06d}",
                session_id=sid,
                what=what_text,
                where=where_text,
                phone_masked=phone_masked,
                category=cat,
                created_at=created,
            )
            self._ensure_session(conn, sid, created)
            conn.execute(
                insert(work_orders).values(
                    number=order.number,
                    session_id=sid,
                    what=what_text,
                    where_=where_text,
                    phone_masked=phone_masked,
                    category=cat,
                    created_at=created,
                )
            )
            self._end(conn, sid, Outcome.WORK_ORDER, created)
            return order

        return self._db.write(work)

    def record_handover(
        self, session_id: str, reason: TransferReason, summary: dict[str, Any]
    ) -> None:
        sid = inputs.session_id(session_id)
        why = inputs.enum_value(TransferReason, reason, "reason")
        text = inputs.summary_json(summary)
        when = self._clock()
        self._db.write(
            lambda conn: self._end(conn, sid, Outcome.TRANSFERRED, when, reason=why, summary=text)
        )

    # -- reading -----------------------------------------------------------------------

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run `work(conn)` in a read transaction, with the store's clear errors."""
        return self._db.read(work)

    def get_session(self, session_id: str) -> SessionRecord | None:
        sid = inputs.session_id(session_id)
        row = self._db.read(
            lambda conn: conn.execute(
                select(sessions).where(sessions.c.session_id == sid)
            ).one_or_none()
        )
        return None if row is None else records.session_record(row)

    def get_turns(self, session_id: str) -> list[Turn]:
        """The session's turns as stored (texts masked), oldest first."""
        sid = inputs.session_id(session_id)
        rows = self._db.read(
            lambda conn: conn.execute(
                select(turns).where(turns.c.session_id == sid).order_by(turns.c.id)
            ).all()
        )
        return [records.stored_turn(r) for r in rows]

    def get_work_orders(self, session_id: str) -> list[WorkOrder]:
        sid = inputs.session_id(session_id)
        rows = self._db.read(
            lambda conn: conn.execute(
                select(work_orders)
                .where(work_orders.c.session_id == sid)
                .order_by(work_orders.c.id)
            ).all()
        )
        return [records.stored_work_order(r) for r in rows]


def _closing_values(ended_at: Any) -> dict[str, Any]:
    """Close an open session: deflected (unconfirmed) if the bot's last act was an answer."""
    answered = sessions.c.answered_faq_id.is_not(None)
    return {
        "outcome": case((answered, Outcome.DEFLECTED.value), else_=Outcome.ABANDONED.value),
        "confirmed": False,
        "reason": None,
        "faq_id": func.coalesce(sessions.c.faq_id, sessions.c.answered_faq_id),
        "ended_at": ended_at,
    }
