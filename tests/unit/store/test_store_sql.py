"""SqlStore: each Store method's semantics, and a clear InputError for each bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.settings import Settings
from bot.store.base import Candidate, Channel, Outcome, Store, TransferReason, Turn
from bot.store.pii import mask_pii
from bot.store.sql import SqlStore

T0 = datetime(2026, 3, 2, 9, 0, 0)


def turn(session_id: str = "s1", text: str = "怎么办居住证", at: datetime = T0, **kw: Any) -> Turn:
    return Turn(
        session_id=session_id, channel=kw.pop("channel", Channel.CHAT), text=text, at=at, **kw
    )


def test_sql_store_satisfies_the_store_protocol(store: SqlStore) -> None:
    typed: Store = store  # mypy checks the structure; this checks the methods exist
    assert callable(typed.record_turn) and callable(typed.close_idle_sessions)


# -- start_session and record_turn ---------------------------------------------------


def test_start_session_creates_it_once(store: SqlStore) -> None:
    store.start_session("s1", Channel.VOICE, at=T0)
    store.start_session("s1", Channel.VOICE, at=T0 + timedelta(hours=1))
    record = store.get_session("s1")
    assert record is not None
    assert (record.channel, record.started_at, record.outcome) == (Channel.VOICE, T0, None)


def test_unknown_session_is_none(store: SqlStore) -> None:
    assert store.get_session("nobody") is None


def test_record_turn_stores_masked_text_and_every_field(store: SqlStore) -> None:
    first = store.record_turn(
        turn(
            text="我的电话是13812345678，身份证110105194912310021",
            channel=Channel.VOICE,
            intent="ask_question",
            intent_confidence=0.93,
            candidates=(Candidate("F1", 0.91), Candidate("F2", 0.4)),
            decision="answer",
            faq_id="F1",
            reply="已记录您的号码 13812345678",
            latency_ms=123.5,
            asr_confidence=0.8,
        )
    )
    second = store.record_turn(turn(text="谢谢", at=T0 + timedelta(seconds=30), decision="reply"))
    assert second > first
    stored = store.get_turns("s1")
    assert [t.text for t in stored] == ["我的电话是138****5678，身份证110105********0021", "谢谢"]
    got = stored[0]
    assert got.reply == "已记录您的号码 138****5678"
    assert got.candidates == (Candidate("F1", 0.91), Candidate("F2", 0.4))
    assert (got.intent, got.intent_confidence, got.decision, got.faq_id) == (
        "ask_question",
        0.93,
        "answer",
        "F1",
    )
    assert (got.latency_ms, got.asr_confidence, got.channel, got.at) == (
        123.5,
        0.8,
        Channel.VOICE,
        T0,
    )


def test_record_turn_creates_the_session_with_the_turns_channel(store: SqlStore) -> None:
    store.record_turn(turn(channel=Channel.PHONE))
    record = store.get_session("s1")
    assert record is not None
    assert (record.channel, record.started_at) == (Channel.PHONE, T0)


def test_the_first_turn_names_the_channel_of_a_session_the_action_server_started(
    store: SqlStore,
) -> None:
    store.mark_answered("s1", "F1")  # the action server can be first
    store.record_turn(turn(channel=Channel.VOICE, at=T0 - timedelta(minutes=1)))
    store.record_turn(turn(channel=Channel.CHAT, at=T0))
    record = store.get_session("s1")
    assert record is not None
    assert (record.channel, record.started_at) == (Channel.VOICE, T0 - timedelta(minutes=1))


def test_texts_are_cut_to_their_limits(store: SqlStore) -> None:
    store.record_turn(turn(text="问" * 12_000, reply="答" * 3_000))
    got = store.get_turns("s1")[0]
    assert (len(got.text), len(got.reply)) == (10_000, 2_000)


def test_a_phone_number_at_the_cut_is_still_masked(store: SqlStore) -> None:
    store.record_turn(turn(text="问" * 9_995 + "13812345678"))
    assert store.get_turns("s1")[0].text == "问" * 9_995 + "138**"


def test_sql_and_html_are_stored_verbatim(store: SqlStore) -> None:
    nasty = "'); DROP TABLE turns; -- <script>alert(1)</script> %s %(x)s ?"
    store.record_turn(turn(session_id="'; DELETE FROM sessions; --", text=nasty, reply=nasty))
    got = store.get_turns("'; DELETE FROM sessions; --")[0]
    assert (got.text, got.reply) == (nasty, nasty)


def test_nul_and_lone_surrogates_are_replaced(store: SqlStore) -> None:
    store.record_turn(turn(text="a\x00b\ud800c"))
    assert store.get_turns("s1")[0].text == "ab?c"


def test_nan_scores_are_stored_as_unknown(store: SqlStore) -> None:
    store.record_turn(turn(latency_ms=float("nan"), candidates=(Candidate("F1", float("inf")),)))
    got = store.get_turns("s1")[0]
    assert (got.latency_ms, got.candidates) == (None, (Candidate("F1", None),))  # type: ignore[arg-type]


def test_an_aware_time_is_stored_as_local_time(store: SqlStore) -> None:
    aware = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    store.record_turn(turn(at=aware))
    assert store.get_turns("s1")[0].at == aware.astimezone().replace(tzinfo=None)


@pytest.mark.parametrize("session_id", ["", "x" * 129, 42, None, "a\x00b", "\ud800"])
def test_bad_session_ids_are_rejected(store: SqlStore, session_id: Any) -> None:
    with pytest.raises(InputError, match="session id"):
        store.start_session(session_id, Channel.CHAT)


@pytest.mark.parametrize("session_id", ["x" * 128, "会话-①", " ", "a/b?c=d"])
def test_any_non_empty_session_id_up_to_128_characters_works(
    store: SqlStore, session_id: str
) -> None:
    store.start_session(session_id, Channel.CHAT, at=T0)
    assert store.get_session(session_id) is not None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"channel": "fax"}, "channel 'fax' is not one of"),
        ({"latency_ms": "fast"}, "latency_ms must be a number"),
        ({"intent_confidence": True}, "intent_confidence must be a number"),
        ({"decision": "x" * 17}, "decision"),
        ({"faq_id": 7}, "faq_id"),
        ({"candidates": ("F1",)}, "is not a Candidate"),
        ({"text": b"bytes"}, "turn text must be text"),
        ({"at": "2026-03-02"}, "turn time must be a datetime"),
    ],
)
def test_bad_turn_fields_are_rejected(store: SqlStore, bad: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"session_id": "s1", "channel": Channel.CHAT, "text": "问", "at": T0}
    fields.update(bad)
    with pytest.raises(InputError, match=re.escape(message)):
        store.record_turn(Turn(**fields))
    assert store.get_session("s1") is None  # nothing half-written


def test_record_turn_needs_a_turn(store: SqlStore) -> None:
    with pytest.raises(InputError, match="needs a Turn"):
        store.record_turn({"session_id": "s1"})  # type: ignore[arg-type]


# -- outcomes ------------------------------------------------------------------------


def test_answered_session_closes_as_unconfirmed_deflection(store: SqlStore) -> None:
    store.record_turn(turn())
    store.mark_answered("s1", "F1")
    assert store.close_session("s1", at=T0 + timedelta(minutes=2)) is Outcome.DEFLECTED
    record = store.get_session("s1")
    assert record is not None
    assert (record.outcome, record.confirmed, record.faq_id, record.ended_at) == (
        Outcome.DEFLECTED,
        False,
        "F1",
        T0 + timedelta(minutes=2),
    )


def test_an_answer_turn_counts_as_answered(store: SqlStore) -> None:
    store.record_turn(turn(decision="answer", faq_id="F9"))
    assert store.close_session("s1") is Outcome.DEFLECTED


def test_a_failed_turn_after_an_answer_closes_as_abandoned(store: SqlStore) -> None:
    store.record_turn(turn(decision="answer", faq_id="F1"))
    store.record_turn(turn(text="另一个问题", at=T0 + timedelta(minutes=1), decision="clarify"))
    assert store.close_session("s1") is Outcome.ABANDONED


def test_unanswered_session_closes_as_abandoned(store: SqlStore) -> None:
    store.record_turn(turn())
    assert store.close_session("s1") is Outcome.ABANDONED


def test_close_keeps_an_outcome_already_recorded(store: SqlStore) -> None:
    store.record_handover("s1", TransferReason.CITIZEN_REQUEST, {"question": "转人工"})
    assert store.close_session("s1") is Outcome.TRANSFERRED


def test_end_session_last_call_wins(store: SqlStore) -> None:
    store.end_session("s1", Outcome.DEFLECTED, confirmed=True, faq_id="F1", at=T0)
    store.end_session(
        "s1", Outcome.TRANSFERRED, reason=TransferReason.NEGATIVE_FEEDBACK, at=T0 + timedelta(1)
    )
    record = store.get_session("s1")
    assert record is not None
    assert (record.outcome, record.reason, record.confirmed) == (
        Outcome.TRANSFERRED,
        TransferReason.NEGATIVE_FEEDBACK,
        False,
    )


def test_an_ended_session_is_not_reopened_as_abandoned(store: SqlStore) -> None:
    store.end_session("s1", Outcome.DEFLECTED, confirmed=True, faq_id="F1", at=T0)
    store.end_session("s1", Outcome.ABANDONED, at=T0 + timedelta(hours=1))
    record = store.get_session("s1")
    assert record is not None
    assert (record.outcome, record.confirmed, record.ended_at) == (Outcome.DEFLECTED, True, T0)


def test_end_session_uses_the_answered_faq_when_none_is_given(store: SqlStore) -> None:
    store.mark_answered("s1", "F3")
    store.end_session("s1", "deflected", confirmed=True)  # type: ignore[arg-type]
    record = store.get_session("s1")
    assert record is not None
    assert (record.outcome, record.faq_id) == (Outcome.DEFLECTED, "F3")


def test_a_turn_after_the_end_does_not_reopen_the_session(store: SqlStore) -> None:
    store.end_session("s1", Outcome.DEFLECTED, at=T0)
    store.record_turn(turn(at=T0 + timedelta(minutes=1)))
    record = store.get_session("s1")
    assert record is not None
    assert record.outcome is Outcome.DEFLECTED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "won"}, "outcome 'won' is not one of"),
        ({"outcome": Outcome.DEFLECTED, "reason": TransferReason.COMPLAINT}, "reasons belong"),
        ({"outcome": Outcome.TRANSFERRED, "reason": "bored"}, "reason 'bored' is not one of"),
        ({"outcome": Outcome.DEFLECTED, "confirmed": "yes"}, "confirmed must be True or False"),
        ({"outcome": Outcome.DEFLECTED, "at": 5}, "at must be a datetime"),
    ],
)
def test_bad_end_session_arguments_are_rejected(
    store: SqlStore, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        store.end_session("s1", **kwargs)
    assert store.get_session("s1") is None


def test_mark_answered_needs_a_faq_id(store: SqlStore) -> None:
    with pytest.raises(InputError, match="needs the faq_id"):
        store.mark_answered("s1", "")


def test_close_idle_sessions_closes_only_idle_open_ones(store: SqlStore) -> None:
    store.record_turn(turn("idle", at=T0, decision="answer", faq_id="F1"))
    store.record_turn(turn("quiet", at=T0))
    store.record_turn(turn("busy", at=T0 + timedelta(minutes=50)))
    store.record_turn(turn("done", at=T0))
    store.end_session("done", Outcome.TRANSFERRED, reason=TransferReason.COMPLAINT, at=T0)
    assert store.close_idle_sessions(T0 + timedelta(minutes=30)) == 2
    assert store.close_idle_sessions(T0 + timedelta(minutes=30)) == 0
    outcomes = {s: store.get_session(s).outcome for s in ("idle", "quiet", "busy", "done")}  # type: ignore[union-attr]
    assert outcomes == {
        "idle": Outcome.DEFLECTED,
        "quiet": Outcome.ABANDONED,
        "busy": None,
        "done": Outcome.TRANSFERRED,
    }
    assert store.get_session("quiet").ended_at == T0  # type: ignore[union-attr]


def test_close_idle_sessions_needs_a_time(store: SqlStore) -> None:
    with pytest.raises(InputError, match="idle_since must be a datetime"):
        store.close_idle_sessions(None)  # type: ignore[arg-type]


# -- work orders and hand-overs ------------------------------------------------------


def fixed_clock(*times: datetime) -> Callable[[], datetime]:
    queue = list(times)
    return lambda: queue.pop(0) if len(queue) > 1 else queue[0]


def test_work_orders_get_daily_numbers_and_end_the_session(
    open_store: Callable[..., SqlStore],
) -> None:
    day2 = datetime(2026, 3, 3, 8, 0)
    store = open_store(clock=fixed_clock(T0, T0, day2))
    first = store.create_work_order(
        "s1", "路灯坏了，电话13812345678", "幸福路12号", "138 1234 5678", "市政"
    )
    second = store.create_work_order("s2", "噪音扰民", "小区", None)
    third = store.create_work_order("s3", "井盖丢失", "路口", "010-12345678")
    assert [first.number, second.number, third.number] == [
        "GD20260302-000001",
        "GD20260302-000002",
        "GD20260303-000001",
    ]
    assert (first.what, first.where, first.phone_masked, first.category) == (
        "路灯坏了，电话138****5678",
        "幸福路12号",
        "138****5678",
        "市政",
    )
    assert (second.phone_masked, third.phone_masked) == ("", "010****5678")
    assert store.get_work_orders("s1") == [first]
    record = store.get_session("s1")
    assert record is not None
    assert (record.outcome, record.ended_at) == (Outcome.WORK_ORDER, T0)


def test_a_bad_phone_is_rejected_without_echoing_it(store: SqlStore) -> None:
    with pytest.raises(InputError, match=r"phone '\*+5678' is not a mobile") as info:
        store.create_work_order("s1", "路灯坏了", "幸福路", "99912345678")
    assert "99912345678" not in str(info.value)
    assert store.get_work_orders("s1") == []


def test_record_handover_stores_a_masked_summary(store: SqlStore) -> None:
    store.record_turn(turn(decision="answer", faq_id="F1"))
    summary = {
        "question": "电话13812345678",
        "candidates": [{"faq_id": "F1", "score": 0.5}],
        "n": 2,
    }
    store.record_handover("s1", TransferReason.LOW_CONFIDENCE, summary)
    record = store.get_session("s1")
    assert record is not None
    assert (record.outcome, record.reason, record.faq_id) == (
        Outcome.TRANSFERRED,
        TransferReason.LOW_CONFIDENCE,
        "F1",
    )
    assert record.handover_summary == {
        "question": "电话138****5678",
        "candidates": [{"faq_id": "F1", "score": 0.5}],
        "n": 2,
    }


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ("text", "must be a dict"),
        ({"when": datetime(2026, 1, 1)}, "cannot be stored as JSON"),
        ({"x": float("nan")}, "cannot be stored as JSON"),
    ],
)
def test_bad_handover_summaries_are_rejected(store: SqlStore, summary: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        store.record_handover("s1", TransferReason.COMPLAINT, summary)
    assert store.get_session("s1") is None


# -- opening -------------------------------------------------------------------------


def test_from_settings_creates_the_data_folder(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path / "nested" / "var")
    with SqlStore.from_settings(settings) as store:
        store.start_session("s1", Channel.CHAT)
    assert (tmp_path / "nested" / "var" / "bot.db").is_file()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300), sid=st.text(min_size=1, max_size=128))
def test_any_text_round_trips_masked(store: SqlStore, text: str, sid: str) -> None:
    if "\x00" in sid or any("\ud800" <= c <= "\udfff" for c in sid):
        sid = "fallback-id"
    store.record_turn(turn(session_id=sid, text=text))
    expected = mask_pii(text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8"))
    assert store.get_turns(sid)[-1].text == expected
