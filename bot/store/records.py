"""Stored rows back into the store's frozen dataclasses."""

from __future__ import annotations

import json
from typing import Any

from bot.store.base import (
    Candidate,
    Channel,
    Outcome,
    SessionRecord,
    TransferReason,
    Turn,
    WorkOrder,
)


def session_record(row: Any) -> SessionRecord:
    return SessionRecord(
        session_id=row.session_id,
        channel=Channel(row.channel),
        started_at=row.started_at,
        ended_at=row.ended_at,
        outcome=Outcome(row.outcome) if row.outcome else None,
        confirmed=bool(row.confirmed),
        reason=TransferReason(row.reason) if row.reason else None,
        faq_id=row.faq_id,
        handover_summary=json.loads(row.handover_summary) if row.handover_summary else {},
    )


def stored_turn(row: Any) -> Turn:
    """A turn as stored: its text and reply are the masked ones."""
    return Turn(
        session_id=row.session_id,
        channel=Channel(row.channel),
        text=row.text,
        at=row.at,
        intent=row.intent,
        intent_confidence=row.intent_confidence,
        candidates=tuple(Candidate(**c) for c in json.loads(row.candidates)),
        decision=row.decision,
        faq_id=row.faq_id,
        reply=row.reply,
        latency_ms=row.latency_ms,
        asr_confidence=row.asr_confidence,
    )


def stored_work_order(row: Any) -> WorkOrder:
    return WorkOrder(
        number=row.number,
        session_id=row.session_id,
        what=row.what,
        where=row.where_,
        phone_masked=row.phone_masked,
        category=row.category,
        created_at=row.created_at,
    )
