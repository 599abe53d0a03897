"""The deflection log's interface: sessions, turns, outcomes, work orders, hand-overs.

One implementation (`bot.store.sql.SqlStore`) serves SQLite (default) and PostgreSQL (by URL).
Writers: the gateway records every turn; the action server records outcomes, work orders and
hand-over summaries. Text is masked (mobile and ID-card numbers) before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol


class Channel(str, Enum):
    CHAT = "chat"
    VOICE = "voice"
    PHONE = "phone"
    REPLAY = "replay"


class Outcome(str, Enum):
    DEFLECTED = "deflected"
    TRANSFERRED = "transferred"
    WORK_ORDER = "work_order"
    ABANDONED = "abandoned"


class TransferReason(str, Enum):
    CITIZEN_REQUEST = "citizen_request"
    LOW_CONFIDENCE = "low_confidence"
    NEGATIVE_FEEDBACK = "negative_feedback"
    REPEATED_FAILURE = "repeated_failure"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class Candidate:
    faq_id: str
    score: float


@dataclass(frozen=True)
class Turn:
    session_id: str
    channel: Channel
    text: str  # raw citizen text; the store masks PII before writing
    at: datetime
    intent: str | None = None
    intent_confidence: float | None = None
    candidates: tuple[Candidate, ...] = ()
    decision: str | None = None  # answer, clarify, handover, work_order, reply
    faq_id: str | None = None  # the entry answered, if any
    reply: str = ""  # what the bot said (first 2,000 characters)
    latency_ms: float | None = None
    asr_confidence: float | None = None


@dataclass(frozen=True)
class WorkOrder:
    number: str  # e.g. GD20261203-000042, shown to the citizen
    session_id: str
    what: str
    where: str
    phone_masked: str
    category: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    channel: Channel
    started_at: datetime
    ended_at: datetime | None
    outcome: Outcome | None
    confirmed: bool
    reason: TransferReason | None
    faq_id: str | None
    handover_summary: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    def migrate(self) -> list[str]:
        """Apply pending named migrations; return the names applied."""
        ...

    def start_session(self, session_id: str, channel: Channel, at: datetime | None = None) -> None:
        """Create the session if it does not exist (idempotent)."""
        ...

    def record_turn(self, turn: Turn) -> int:
        """Record one turn (creating its session if needed); return the turn id."""
        ...

    def mark_answered(self, session_id: str, faq_id: str) -> None:
        """The bot answered with this entry: the session counts as deflected (unconfirmed)
        if it closes without another outcome."""
        ...

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
        """Set the session's final outcome (the last call wins, except that an ended
        session is not reopened as abandoned)."""
        ...

    def record_feedback(
        self, session_id: str, faq_id: str, helped: bool, at: datetime | None = None
    ) -> None:
        """The citizen said whether the answer with this entry helped. Kept per answered
        question (the latest turn that answered with `faq_id`); the session's outcome is
        not changed (end_session / record_handover set that)."""
        ...

    def close_session(self, session_id: str, at: datetime | None = None) -> Outcome:
        """The citizen left: deflected (unconfirmed) if the last thing the bot did was
        answer, abandoned otherwise; an already ended session keeps its outcome."""
        ...

    def close_idle_sessions(self, idle_since: datetime) -> int:
        """Close every open session with no turn since `idle_since`; return how many."""
        ...

    def create_work_order(
        self, session_id: str, what: str, where: str, phone: str | None, category: str = ""
    ) -> WorkOrder:
        """Store a work order (phone stored masked) and end the session as work_order."""
        ...

    def record_handover(
        self, session_id: str, reason: TransferReason, summary: dict[str, Any]
    ) -> None:
        """End the session as transferred, with the summary an agent reads."""
        ...

    def get_session(self, session_id: str) -> SessionRecord | None: ...
