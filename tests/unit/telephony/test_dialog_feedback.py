"""PhoneDialog's own feedback while rasa is down: "1"/"2" after a degraded answer is
recorded per answer (Store.record_feedback), so a later hand-over does not erase it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.gateway.conversation import ChatReply
from bot.gateway.rasa_client import BotMessage
from bot.store.base import Channel, Outcome, TransferReason, Turn
from bot.store.sql import SqlStore
from bot.store.stats import compute_stats
from bot.telephony.dialog import NO, YES, PhoneDialog


class Degraded:
    """A conversation that answers SFZ002 in degraded mode and records the turn."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    async def handle(self, session_id: str, text: str, channel: Any,
                     asr_confidence: float | None = None) -> ChatReply:
        from datetime import datetime

        self.store.record_turn(Turn(session_id, Channel.PHONE, text, datetime.now(),
                                    decision="answer", faq_id="SFZ002"))
        return ChatReply(session_id, (BotMessage("到派出所办理。"),), "answer", "SFZ002",
                         degraded=True)


def _call(tmp_path: Path, key: str) -> SqlStore:
    store = SqlStore(f"sqlite:///{tmp_path / 'bot.db'}")
    dialog = PhoneDialog(Degraded(store), "c1", store=store)
    asyncio.run(dialog.handle("c1", "身份证丢了怎么补办"))
    words = dialog.key_text(key)
    assert words == (YES if key == "1" else NO)
    asyncio.run(dialog.handle("c1", words))
    return store


def test_pressing_1_records_helped_and_survives_a_handover(tmp_path: Path) -> None:
    store = _call(tmp_path, "1")
    session = store.get_session("c1")
    assert session is not None and session.outcome is Outcome.DEFLECTED and session.confirmed
    store.record_handover("c1", TransferReason.CITIZEN_REQUEST, {"question": "转人工"})
    stats = compute_stats(store)
    assert (stats.feedback_positive, stats.feedback_negative) == (1, 0)
    store.close()


def test_pressing_2_records_not_helped(tmp_path: Path) -> None:
    store = _call(tmp_path, "2")
    session = store.get_session("c1")
    assert session is not None and session.reason is TransferReason.NEGATIVE_FEEDBACK
    stats = compute_stats(store)
    assert (stats.feedback_positive, stats.feedback_negative) == (0, 1)
    store.close()
