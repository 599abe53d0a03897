"""Citizen feedback per answered question: writing it, and the SQL that reads it back.

"Did this help?" belongs to one answer, not to the session: a citizen may confirm an answer
and then ask something else, or ask for a human, and the session's outcome (the last one)
then says transferred while that answer still helped. Each record names the turn whose reply
was the answer (the latest turn of the session that answered with the entry when the
feedback arrives), so the unanswered views can judge every question by its own turn.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, false, func, insert, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from bot.store.base import Outcome, TransferReason
from bot.store.schema import feedback, sessions, turns

# Dialog turns, not questions: they belong to the question asked before them ("有帮助",
# "第1个", "转人工"). "feedback" is what the phone keypad path records for "1"/"2".
DIALOG_INTENTS = (
    "greet", "goodbye", "thanks", "affirm", "deny", "request_human", "complain",
    "choose_option", "feedback",
)
QUESTION_DECISIONS = ("answer", "clarify", "handover")


def write(conn: Connection, session_id: str, faq_id: str, helped: bool, at: datetime) -> None:
    """Record (or replace) the feedback on the latest answer with `faq_id` in the session."""
    answered = conn.execute(
        select(func.max(turns.c.id)).where(
            turns.c.session_id == session_id,
            turns.c.decision == "answer",
            turns.c.faq_id == faq_id,
        )
    ).scalar_one()
    same_turn = (
        feedback.c.turn_id.is_(None) if answered is None else feedback.c.turn_id == answered
    )
    # One record per (session, faq, turn): a citizen who changes their mind is heard last.
    conn.execute(
        delete(feedback).where(
            feedback.c.session_id == session_id, feedback.c.faq_id == faq_id, same_turn
        )
    )
    conn.execute(
        insert(feedback).values(
            session_id=session_id, faq_id=faq_id, turn_id=answered, helped=helped, at=at
        )
    )


def is_question(turn: Any) -> ColumnElement[bool]:
    """`turn` (the turns table or an alias) is a citizen's question, not a dialog step."""
    return and_(
        turn.c.decision.in_(QUESTION_DECISIONS),
        or_(turn.c.intent.is_(None), turn.c.intent.not_in(DIALOG_INTENTS)),
    )


def confirmed_turn(question: Any = turns) -> ColumnElement[bool]:
    """The citizen said the answer to this question turn helped: a "helped" record on this
    turn, or on a later answer (next candidate, a chosen option) before the next question.
    A record with no turn (none recorded when it came) confirms the turns with its entry."""
    between = turns.alias("fb_between")
    newer_question = (
        select(between.c.id)
        .where(
            between.c.session_id == question.c.session_id,
            between.c.id > question.c.id,
            between.c.id <= feedback.c.turn_id,
            is_question(between),
        )
        .correlate(question, feedback)
    )
    by_turn = and_(
        feedback.c.turn_id.is_not(None),
        feedback.c.turn_id >= question.c.id,
        ~exists(newer_question),
    )
    by_entry = and_(feedback.c.turn_id.is_(None), feedback.c.faq_id == question.c.faq_id)
    return exists(
        select(feedback.c.id)
        .where(
            feedback.c.session_id == question.c.session_id,
            feedback.c.helped == true(),
            or_(by_turn, by_entry),
        )
        .correlate(question)
    )


def counts(conn: Connection, in_range: ColumnElement[bool]) -> tuple[int, int]:
    """(helped, not helped) over the sessions `in_range` selects: one per record, plus the
    sessions that ended with that feedback but hold no record of it (logged before records
    existed, or by a writer that only ends the session)."""

    def records(helped: bool) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(feedback.join(sessions))
                .where(in_range, feedback.c.helped == (true() if helped else false()))
            ).scalar_one()
        )

    def unrecorded(ended: ColumnElement[bool], helped: bool) -> int:
        recorded = select(feedback.c.id).where(
            feedback.c.session_id == sessions.c.session_id,
            feedback.c.helped == (true() if helped else false()),
        )
        return int(
            conn.execute(
                select(func.count()).where(in_range, ended, ~exists(recorded))
            ).scalar_one()
        )

    confirmed = and_(
        sessions.c.outcome == Outcome.DEFLECTED.value, sessions.c.confirmed == true()
    )
    negative = and_(
        sessions.c.outcome == Outcome.TRANSFERRED.value,
        sessions.c.reason == TransferReason.NEGATIVE_FEEDBACK.value,
    )
    return (
        records(True) + unrecorded(confirmed, True),
        records(False) + unrecorded(negative, False),
    )
