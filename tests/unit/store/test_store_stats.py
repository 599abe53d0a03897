"""compute_stats on a constructed log whose every number is known in advance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from bot.errors import InputError
from bot.store.base import Channel, Outcome, TransferReason, Turn
from bot.store.sql import SqlStore
from bot.store.stats import FaqHits, OutcomeCounts, Question, compute_stats

D0 = datetime(2026, 3, 1)
D1 = datetime(2026, 3, 2)
D2 = datetime(2026, 3, 3)


def at(day: datetime, hh: int, mm: int) -> datetime:
    return day + timedelta(hours=hh, minutes=mm)


def say(
    store: SqlStore,
    sid: str,
    when: datetime,
    text: str,
    channel: Channel = Channel.CHAT,
    **kw: object,
) -> None:
    store.record_turn(Turn(sid, channel, text, when, **kw))  # type: ignore[arg-type]


@pytest.fixture
def log(open_store: Callable[..., SqlStore]) -> SqlStore:
    """Ten sessions over three days; the comments give each one's outcome."""
    clock = {"now": D1}
    store = open_store(clock=lambda: clock["now"])
    # s10: D0 23:30, deflected, confirmed, F1
    say(store, "s10", at(D0, 23, 30), "怎么办居住证", decision="answer", faq_id="F1")
    store.end_session("s10", Outcome.DEFLECTED, confirmed=True, at=at(D0, 23, 32))
    # s1: D1 09:10, deflected, confirmed, F1
    say(store, "s1", at(D1, 9, 10), "居住证怎么办", decision="answer", faq_id="F1")
    store.end_session("s1", Outcome.DEFLECTED, confirmed=True, at=at(D1, 9, 12))
    # s2: D1 09:20, answered then left: deflected, unconfirmed, F1
    say(store, "s2", at(D1, 9, 20), "居住证", decision="answer", faq_id="F1")
    store.close_session("s2", at=at(D1, 9, 25))
    # s3: D1 10:05 voice, handed over for low confidence at 10:06
    say(store, "s3", at(D1, 10, 5), "社保卡丢了怎么补办", Channel.VOICE, decision="handover")
    clock["now"] = at(D1, 10, 6)
    store.record_handover("s3", TransferReason.LOW_CONFIDENCE, {"question": "社保卡丢了怎么补办"})
    # s4: D1 10:30 voice, greeting then the same question, low confidence at 10:31
    say(store, "s4", at(D1, 10, 30), "你好", Channel.VOICE, decision="reply")
    say(store, "s4", at(D1, 10, 30), "社保卡丢了 怎么补办？", Channel.VOICE, decision="handover")
    store.end_session(
        "s4", Outcome.TRANSFERRED, reason=TransferReason.LOW_CONFIDENCE, at=at(D1, 10, 31)
    )
    # s5: D2 14:00 phone, complaint at 14:02
    say(store, "s5", at(D2, 14, 0), "我要投诉", Channel.PHONE)
    store.end_session("s5", Outcome.TRANSFERRED, reason=TransferReason.COMPLAINT, at=at(D2, 14, 2))
    # s6: D2 14:10, answered F2, citizen said it did not help: transferred at 14:15
    say(store, "s6", at(D2, 14, 10), "医保怎么报销", decision="answer", faq_id="F2")
    store.end_session(
        "s6", Outcome.TRANSFERRED, reason=TransferReason.NEGATIVE_FEEDBACK, at=at(D2, 14, 15)
    )
    # s7: D2 15:00, work order (市政) at 15:03
    say(store, "s7", at(D2, 15, 0), "路灯坏了")
    clock["now"] = at(D2, 15, 3)
    store.create_work_order("s7", "路灯坏了", "幸福路", "13812345678", "市政")
    # s8: D2 16:00, never answered, left: abandoned
    say(store, "s8", at(D2, 16, 0), "公积金怎么提取 我电话13812345678")
    store.close_session("s8", at=at(D2, 16, 30))
    # s9: D2 16:40, still open
    say(store, "s9", at(D2, 16, 40), "还在问")
    return store


def test_totals_and_rates(log: SqlStore) -> None:
    stats = compute_stats(log)
    assert stats.counts == OutcomeCounts(
        sessions=10,
        open=1,
        deflected_confirmed=2,
        deflected_unconfirmed=1,
        transferred=4,
        work_order=1,
        abandoned=1,
    )
    assert stats.counts.ended == 9
    assert stats.counts.deflection_rate == pytest.approx(3 / 9)
    assert stats.counts.confirmed_rate == pytest.approx(2 / 9)
    assert stats.counts.unconfirmed_rate == pytest.approx(1 / 9)


def test_transfers_work_orders_and_feedback(log: SqlStore) -> None:
    stats = compute_stats(log)
    assert stats.transfers_by_reason == {
        "low_confidence": 2,
        "complaint": 1,
        "negative_feedback": 1,
    }
    assert (stats.work_orders, stats.work_orders_by_category) == (1, {"市政": 1})
    assert (stats.feedback_positive, stats.feedback_negative) == (2, 1)


def test_top_faqs(log: SqlStore) -> None:
    assert compute_stats(log).top_faqs == (FaqHits("F1", 3, 2, 0), FaqHits("F2", 1, 0, 1))


def test_top_unanswered_groups_normalised_first_questions(log: SqlStore) -> None:
    assert compute_stats(log).top_unanswered == (
        Question("社保卡丢了 怎么补办？", 2),
        Question("公积金怎么提取 我电话138****5678", 1),
        Question("医保怎么报销", 1),
    )


def test_volume_reaching_agents_by_hour(log: SqlStore) -> None:
    stats = compute_stats(log)
    expected = [0] * 24
    expected[10] = 2
    expected[14] = 2
    assert list(stats.agent_hour_of_day) == expected
    assert stats.agent_hourly == (("2026-03-02 10:00", 2), ("2026-03-03 14:00", 2))


def test_range_selects_sessions_by_start(log: SqlStore) -> None:
    stats = compute_stats(log, since=D1, until=D2)
    assert stats.counts == OutcomeCounts(
        sessions=4, deflected_confirmed=1, deflected_unconfirmed=1, transferred=2
    )
    assert stats.counts.deflection_rate == pytest.approx(0.5)
    assert stats.work_orders == 0
    assert stats.top_faqs == (FaqHits("F1", 2, 1, 0),)


def test_by_day(log: SqlStore) -> None:
    groups = compute_stats(log, by="day").groups
    assert [(g.key, g.counts.sessions, g.counts.deflected, g.counts.open) for g in groups] == [
        ("2026-03-01", 1, 1, 0),
        ("2026-03-02", 4, 2, 0),
        ("2026-03-03", 5, 0, 1),
    ]


def test_by_hour(log: SqlStore) -> None:
    groups = compute_stats(log, by="hour").groups
    assert [(g.key, g.counts.sessions) for g in groups] == [
        ("09", 2),
        ("10", 2),
        ("14", 2),
        ("15", 1),
        ("16", 2),
        ("23", 1),
    ]


def test_by_channel(log: SqlStore) -> None:
    groups = compute_stats(log, by="channel").groups
    assert [(g.key, g.counts.sessions, g.counts.transferred) for g in groups] == [
        ("chat", 7, 1),
        ("phone", 1, 1),
        ("voice", 2, 2),
    ]


def test_by_category(log: SqlStore) -> None:
    groups = compute_stats(log, by="category", categories={"F1": "户籍"}).groups
    assert [(g.key, g.counts.sessions, g.counts.deflected) for g in groups] == [
        ("未匹配", 6, 0),
        ("户籍", 3, 3),
        ("未知", 1, 0),
    ]


def test_to_dict_is_plain_json_data(log: SqlStore) -> None:
    data = compute_stats(log, by="day").to_dict()
    assert (data["sessions"], data["deflection_rate"], data["confirmed_rate"]) == (
        10,
        0.3333,
        0.2222,
    )
    assert data["feedback"] == {"positive": 2, "negative": 1}
    assert data["groups"][0]["key"] == "2026-03-01"
    assert data["agent_hourly"][0] == {"hour": "2026-03-02 10:00", "transferred": 2}


def test_an_empty_log_has_no_rates(store: SqlStore) -> None:
    stats = compute_stats(store)
    assert (stats.counts.sessions, stats.counts.deflection_rate) == (0, None)
    assert stats.agent_hour_of_day == (0,) * 24


def test_an_engine_works_as_well_as_a_store(log: SqlStore) -> None:
    assert compute_stats(log.engine).counts.sessions == 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "week"}, "cannot group statistics by 'week'"),
        ({"since": D2, "until": D1}, "is not before until"),
        ({"top": 0}, "top must be at least 1"),
    ],
)
def test_bad_arguments(store: SqlStore, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        compute_stats(store, **kwargs)  # type: ignore[arg-type]


def test_a_source_that_is_not_a_store(store: SqlStore) -> None:
    with pytest.raises(InputError, match="needs a SqlStore or an Engine"):
        compute_stats("sqlite:///x.db")
