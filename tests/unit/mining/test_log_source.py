"""Unanswered questions from the deflection log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.mining.rows import LOG_SOURCE
from bot.mining.sources import read_log_rows
from bot.store.base import Channel, Outcome, TransferReason, Turn
from bot.store.sql import SqlStore

D = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def store(tmp_path: Path):
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}", clock=lambda: D) as store:
        def turn(sid: str, text: str, decision: str | None, intent: str = "ask_question",
                 minute: int = 0) -> None:
            store.record_turn(Turn(sid, Channel.CHAT, text, D.replace(minute=minute),
                                   intent=intent, decision=decision,
                                   faq_id="F1" if decision == "answer" else None))

        turn("ok", "居住证怎么办", "answer")  # answered, confirmed: not mined
        store.end_session("ok", Outcome.DEFLECTED, confirmed=True, at=D)
        turn("low", "你好", "reply", intent="greet")
        turn("low", "社保卡丢了怎么补办", "handover", minute=1)
        store.end_session("low", Outcome.TRANSFERRED, reason=TransferReason.LOW_CONFIDENCE, at=D)
        turn("gone", "公积金怎么提取", "clarify", minute=2)
        store.close_session("gone", at=D)  # abandoned
        turn("bad", "护照过期怎么办", "answer", minute=3)
        store.end_session("bad", Outcome.TRANSFERRED, reason=TransferReason.NEGATIVE_FEEDBACK,
                          at=D)
        turn("human", "转人工", None, intent="request_human", minute=4)
        store.end_session("human", Outcome.TRANSFERRED,
                          reason=TransferReason.CITIZEN_REQUEST, at=D)
        turn("quiet", "医保怎么报销", "answer", minute=5)
        store.end_session("quiet", Outcome.DEFLECTED, at=D)  # not confirmed
        turn("later", "新问题", "handover", minute=30)
        store.end_session("later", Outcome.TRANSFERRED,
                          reason=TransferReason.LOW_CONFIDENCE, at=D)
        yield store


def test_unanswered_questions_are_read(store) -> None:
    rows, summary = read_log_rows(store)
    assert [r.text for r in rows] == ["社保卡丢了怎么补办", "公积金怎么提取", "护照过期怎么办",
                                      "新问题"]
    assert all(r.source == LOG_SOURCE and r.time is not None for r in rows)
    assert summary.rows == 4


def test_row_numbers_are_turn_ids(store) -> None:
    from sqlalchemy import select

    from bot.store.schema import turns

    ids = dict(store.read(lambda conn: conn.execute(select(turns.c.text, turns.c.id)).all()))
    rows, _ = read_log_rows(store)
    assert {r.text: r.row for r in rows} == {r.text: ids[r.text] for r in rows}


def test_unconfirmed_answers_on_request(store) -> None:
    rows, _ = read_log_rows(store, include_unconfirmed=True)
    assert "医保怎么报销" in [r.text for r in rows]
    assert "居住证怎么办" not in [r.text for r in rows]


def test_since(store) -> None:
    rows, _ = read_log_rows(store, since=D.replace(minute=10))
    assert [r.text for r in rows] == ["新问题"]


def test_a_confirmed_answer_is_not_mined_when_the_session_later_ends_badly(store) -> None:
    # 居住证 helped (feedback on its answer), then another answer did not help and the
    # session was handed over for negative feedback: only the second question is mined.
    at = D.replace(minute=40)
    store.record_turn(Turn("mixed", Channel.CHAT, "身份证丢了怎么补办", at, intent="ask_question",
                           decision="answer", faq_id="F1"))
    store.record_feedback("mixed", "F1", True)
    store.record_turn(Turn("mixed", Channel.CHAT, "户口怎么迁", at.replace(minute=41),
                           intent="ask_question", decision="answer", faq_id="F2"))
    store.record_feedback("mixed", "F2", False)
    store.end_session("mixed", Outcome.TRANSFERRED, reason=TransferReason.NEGATIVE_FEEDBACK,
                      at=at)
    texts = [r.text for r in read_log_rows(store, since=at)[0]]
    assert texts == ["户口怎么迁"]


def test_a_request_for_a_human_is_not_mined_even_when_recorded_as_a_hand_over(store) -> None:
    """The dialog records "转人工吧" with decision handover: it asks for an agent, not a
    question an FAQ entry could answer (a fresh user found it topping `bot mine --log`)."""
    at = D.replace(minute=40)
    store.record_turn(Turn("ask", Channel.CHAT, "转人工吧", at, intent="request_human",
                           decision="handover"))
    store.record_turn(Turn("ask", Channel.CHAT, "我要投诉", at, intent="complain",
                           decision="handover"))
    store.end_session("ask", Outcome.TRANSFERRED, reason=TransferReason.CITIZEN_REQUEST, at=at)
    rows, _ = read_log_rows(store)
    assert "转人工吧" not in [r.text for r in rows]
    assert "我要投诉" not in [r.text for r in rows]
