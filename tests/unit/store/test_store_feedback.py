"""Feedback per answered question (Store.record_feedback) and what the statistics make of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.errors import InputError
from bot.store.base import Channel, Outcome, TransferReason, Turn
from bot.store.feedback import confirmed_turn
from bot.store.schema import feedback, turns
from bot.store.sql import SqlStore
from bot.store.stats import compute_stats

T0 = datetime(2026, 5, 4, 9, 0)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def say(store: SqlStore, sid: str, minute: int, text: str, **kw: object) -> int:
    return store.record_turn(Turn(sid, Channel.CHAT, text, at(minute), **kw))  # type: ignore[arg-type]


def helped_then_handed_over(store: SqlStore, sid: str = "s1") -> int:
    """The bug's session: answered SFZ002, "有帮助", then "转人工" (a hand-over)."""
    asked = say(store, sid, 0, "身份证丢了怎么补办", intent="ask_question",
                decision="answer", faq_id="SFZ002")
    store.record_feedback(sid, "SFZ002", True)  # action_feedback_helped ...
    store.end_session(sid, Outcome.DEFLECTED, confirmed=True, faq_id="SFZ002")
    say(store, sid, 1, "有帮助", intent="affirm", decision="reply")
    store.record_handover(sid, TransferReason.CITIZEN_REQUEST, {"question": "转人工"})
    say(store, sid, 2, "转人工", intent="request_human", decision="handover")
    return asked


def feedback_rows(store: SqlStore) -> list[tuple[str, str, int | None, bool]]:
    return store.read(
        lambda conn: [
            (r.session_id, r.faq_id, r.turn_id, bool(r.helped))
            for r in conn.execute(select(feedback).order_by(feedback.c.id))
        ]
    )


def confirmed_texts(store: SqlStore) -> list[str]:
    return store.read(
        lambda conn: list(
            conn.execute(
                select(turns.c.text).where(confirmed_turn()).order_by(turns.c.id)
            ).scalars()
        )
    )


@pytest.fixture
def store(open_store: Callable[..., SqlStore]) -> SqlStore:
    return open_store(clock=lambda: at(5))


def test_feedback_is_kept_on_the_answering_turn(store: SqlStore) -> None:
    asked = helped_then_handed_over(store)
    assert feedback_rows(store) == [("s1", "SFZ002", asked, True)]
    session = store.get_session("s1")
    assert session is not None  # the session's outcome is still the last one
    assert session.outcome is Outcome.TRANSFERRED and not session.confirmed
    assert confirmed_texts(store) == ["身份证丢了怎么补办"]


def test_feedback_again_on_the_same_answer_replaces_it(store: SqlStore) -> None:
    asked = say(store, "s1", 0, "居住证怎么办", decision="answer", faq_id="F1")
    store.record_feedback("s1", "F1", False)
    store.record_feedback("s1", "F1", True)
    assert feedback_rows(store) == [("s1", "F1", asked, True)]


def test_feedback_before_any_turn_is_kept_without_one(store: SqlStore) -> None:
    store.record_feedback("early", "F1", True)
    assert feedback_rows(store) == [("early", "F1", None, True)]
    say(store, "early", 0, "居住证怎么办", decision="answer", faq_id="F1")
    assert confirmed_texts(store) == ["居住证怎么办"]


def test_a_later_answer_confirms_the_question_it_answered(store: SqlStore) -> None:
    # Not the first candidate: "没帮助" offers F2, which helps; the question is answered.
    say(store, "s1", 0, "社保卡丢了", intent="ask_question", decision="answer", faq_id="F1")
    store.record_feedback("s1", "F1", False)
    say(store, "s1", 1, "没帮助", intent="deny", decision="answer", faq_id="F2")
    store.record_feedback("s1", "F2", True)
    # A new question afterwards is not confirmed by that feedback.
    say(store, "s1", 2, "公积金怎么提取", intent="ask_question", decision="handover")
    assert confirmed_texts(store) == ["社保卡丢了", "没帮助"]


def test_not_helped_does_not_confirm(store: SqlStore) -> None:
    say(store, "s1", 0, "社保卡丢了", decision="answer", faq_id="F1")
    store.record_feedback("s1", "F1", False)
    assert confirmed_texts(store) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("s1", "", True), "needs the faq_id"),
        (("s1", None, True), "needs the faq_id"),
        (("s1", "F1", "yes"), "helped must be True or False"),
        (("", "F1", True), "session"),
    ],
)
def test_bad_feedback_is_a_clear_error(store: SqlStore, args: tuple, message: str) -> None:
    with pytest.raises(InputError, match=message):
        store.record_feedback(*args)


def test_stats_count_feedback_per_answer_not_per_final_outcome(store: SqlStore) -> None:
    helped_then_handed_over(store)
    stats = compute_stats(store)
    assert (stats.feedback_positive, stats.feedback_negative) == (1, 0)
    assert stats.counts.transferred == 1 and stats.counts.deflected_confirmed == 0
    assert stats.top_faqs[0].faq_id == "SFZ002" and stats.top_faqs[0].confirmed == 1


def test_stats_count_each_not_helped_answer(store: SqlStore) -> None:
    say(store, "s2", 0, "社保卡丢了", decision="answer", faq_id="F1")
    store.record_feedback("s2", "F1", False)
    say(store, "s2", 1, "没帮助", intent="deny", decision="answer", faq_id="F2")
    store.record_feedback("s2", "F2", False)
    store.record_handover("s2", TransferReason.NEGATIVE_FEEDBACK, {"question": "社保卡丢了"})
    stats = compute_stats(store)
    assert (stats.feedback_positive, stats.feedback_negative) == (0, 2)


def test_stats_still_count_sessions_ended_with_feedback_but_no_record(store: SqlStore) -> None:
    # Logged before feedback records existed: the session's own outcome is the feedback.
    say(store, "old1", 0, "居住证", decision="answer", faq_id="F1")
    store.end_session("old1", Outcome.DEFLECTED, confirmed=True)
    say(store, "old2", 0, "护照", decision="answer", faq_id="F2")
    store.record_handover("old2", TransferReason.NEGATIVE_FEEDBACK, {"question": "护照"})
    stats = compute_stats(store)
    assert (stats.feedback_positive, stats.feedback_negative) == (1, 1)


def test_stats_feedback_follows_the_range_and_channel(store: SqlStore) -> None:
    helped_then_handed_over(store)
    store.record_turn(Turn("v1", Channel.VOICE, "居住证", at(0), decision="answer", faq_id="F1"))
    store.record_feedback("v1", "F1", True)
    assert compute_stats(store, channel="voice").feedback_positive == 1
    assert compute_stats(store, channel="chat").feedback_positive == 1
    assert compute_stats(store).feedback_positive == 2
    later = compute_stats(store, since=T0 + timedelta(days=1))
    assert later.feedback_positive == 0


def test_dashboard_unanswered_skips_a_confirmed_question(store: SqlStore) -> None:
    # Confirmed first question, then a different one handed over for low confidence: the
    # unanswered question is the second, not the session's first.
    say(store, "s3", 0, "身份证丢了怎么补办", intent="ask_question",
        decision="answer", faq_id="SFZ002")
    store.record_feedback("s3", "SFZ002", True)
    store.end_session("s3", Outcome.DEFLECTED, confirmed=True, faq_id="SFZ002")
    say(store, "s3", 1, "有帮助", intent="affirm", decision="reply")
    say(store, "s3", 2, "养老金怎么领", intent="ask_question", decision="handover")
    store.record_handover("s3", TransferReason.LOW_CONFIDENCE, {"question": "养老金怎么领"})
    assert [q.text for q in compute_stats(store).top_unanswered] == ["养老金怎么领"]
