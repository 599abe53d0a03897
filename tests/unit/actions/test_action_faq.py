"""action_answer_faq: answer, clarify, hand over, and the degraded paths."""

from __future__ import annotations

import logging

import pytest
from rasa_sdk.events import SlotSet

from actions import replies, services
from actions.faq import ActionAnswerFaq
from bot.engine.types import Decision
from bot.store.base import Channel, TransferReason
from tests.unit.actions.action_fakes import (
    SENDER,
    FakeEngine,
    FakeStore,
    bot_event,
    customs,
    faq_payload,
    make_result,
    make_tracker,
    run_action,
)


def test_answer_utters_the_answer_then_asks_if_it_helped(build, engine) -> None:
    messages, events = run_action(build(ActionAnswerFaq), make_tracker("社保卡丢了"))
    assert [m["text"] for m in messages] == ["到社保网点补办。", replies.HELPED_QUESTION]
    assert messages[1]["buttons"] == [
        {"title": "有帮助", "payload": "/affirm"},
        {"title": "没帮助", "payload": "/deny"},
    ]
    assert engine.asked == ["社保卡丢了"]
    assert events == [
        SlotSet("dialog_state", "awaiting_feedback"),
        SlotSet("faq_answered", "F001"),
        SlotSet("faq_candidates", ["F001", "F002"]),
        SlotSet("faq_query", "社保卡丢了"),
        SlotSet("next_offered", False),
    ]


def test_answer_carries_one_custom_payload_on_the_last_message(build) -> None:
    messages, _ = run_action(build(ActionAnswerFaq), make_tracker("社保卡丢了"))
    assert customs(messages) == [messages[-1]["custom"]]
    assert messages[-1]["custom"] == {
        "faq": {
            "decision": "answer",
            "faq_id": "F001",
            "candidates": [{"faq_id": "F001", "score": 0.93}, {"faq_id": "F002", "score": 0.71}],
            "normalized_query": "社保卡丢了",
        },
        "outcome": None,
        "reason": None,
    }


def test_answer_is_recorded_in_the_store_with_the_channel(build, store) -> None:
    run_action(build(ActionAnswerFaq), make_tracker("社保卡丢了", channel="voice"))
    assert store.named("start_session") == [((SENDER, Channel.VOICE), {})]
    assert store.named("mark_answered") == [((SENDER, "F001"), {})]


def test_channel_defaults_to_chat_without_metadata(build, store) -> None:
    run_action(build(ActionAnswerFaq), make_tracker("社保卡丢了", channel=None))
    assert store.named("start_session") == [((SENDER, Channel.CHAT), {})]


def test_unknown_channel_is_recorded_as_chat(build, store) -> None:
    run_action(build(ActionAnswerFaq), make_tracker("社保卡丢了", channel="fax"))
    assert store.named("start_session") == [((SENDER, Channel.CHAT), {})]


def test_clarify_lists_the_options_as_text_and_buttons(store, settings) -> None:
    result = make_result(Decision.CLARIFY, ["F001", "F002", "F003"], [0.7, 0.68, 0.6], "社保卡")
    action = ActionAnswerFaq(engine=FakeEngine(result), store=store, settings=settings)
    messages, events = run_action(action, make_tracker("社保卡"))
    assert len(messages) == 1
    assert messages[0]["text"] == (
        "您想问的是下面哪一个？\n1. 社保卡丢了怎么补办\n2. 社保卡如何激活\n3. 医保卡怎么挂失"
    )
    assert messages[0]["buttons"] == [
        {"title": "社保卡丢了怎么补办", "payload": "第1个"},
        {"title": "社保卡如何激活", "payload": "第2个"},
        {"title": "医保卡怎么挂失", "payload": "第3个"},
    ]
    assert messages[0]["custom"]["faq"]["decision"] == "clarify"
    assert [c["faq_id"] for c in messages[0]["custom"]["faq"]["candidates"]] == [
        "F001",
        "F002",
        "F003",
    ]
    assert events == [
        SlotSet("dialog_state", "awaiting_choice"),
        SlotSet("faq_candidates", ["F001", "F002", "F003"]),
        SlotSet("faq_query", "社保卡"),
    ]
    assert store.named("mark_answered") == []


def test_low_confidence_hands_over_with_a_summary(store, settings) -> None:
    result = make_result(Decision.HANDOVER, ["F003"], [0.31], "我家楼上漏水")
    action = ActionAnswerFaq(engine=FakeEngine(result), store=store, settings=settings)
    messages, events = run_action(action, make_tracker("我家楼上漏水"))
    assert [m["text"] for m in messages] == [replies.HANDOVER]
    assert messages[0]["custom"] == {
        "faq": {
            "decision": "handover",
            "faq_id": None,
            "candidates": [{"faq_id": "F003", "score": 0.31}],
            "normalized_query": "我家楼上漏水",
        },
        "outcome": "transferred",
        "reason": "low_confidence",
    }
    ((args, _),) = store.named("record_handover")
    assert args[:2] == (SENDER, TransferReason.LOW_CONFIDENCE)
    assert args[2]["question"] == "我家楼上漏水"
    assert args[2]["candidates"] == [{"faq_id": "F003", "score": 0.31}]
    assert events == [SlotSet("dialog_state", None)]


def test_a_pending_choice_is_answered_without_asking_the_engine(build, engine) -> None:
    tracker = make_tracker(
        "第二个",
        slots={"dialog_state": "awaiting_choice", "faq_candidates": ["F001", "F002", "F003"]},
        events=[bot_event("您想问的是…", faq_payload([("F001", 0.7), ("F002", 0.68)]))],
    )
    messages, events = run_action(build(ActionAnswerFaq), tracker)
    assert messages[0]["text"] == "在银行激活。"
    assert SlotSet("faq_answered", "F002") in events
    assert engine.asked == []


def test_a_new_question_during_a_choice_goes_to_the_engine(build, engine) -> None:
    tracker = make_tracker(
        "公积金怎么提取",
        slots={"dialog_state": "awaiting_choice", "faq_candidates": ["F001", "F002", "F003"]},
    )
    run_action(build(ActionAnswerFaq), tracker)
    assert engine.asked == ["公积金怎么提取"]


def test_engine_failure_hands_over_politely(store, settings, caplog) -> None:
    action = ActionAnswerFaq(
        engine=FakeEngine(RuntimeError("faiss exploded")), store=store, settings=settings
    )
    with caplog.at_level(logging.WARNING):
        messages, events = run_action(action, make_tracker("社保卡丢了"))
    assert [m["text"] for m in messages] == [replies.ENGINE_DOWN]
    assert messages[0]["custom"]["reason"] == "low_confidence"
    assert store.named("record_handover")[0][0][1] is TransferReason.LOW_CONFIDENCE
    assert events == [SlotSet("dialog_state", None)]
    assert any(getattr(r, "event", None) == "engine_failure" for r in caplog.records)


def test_engine_that_cannot_be_built_hands_over(store, settings, monkeypatch) -> None:
    def not_built():
        raise RuntimeError("no FAQ index under build/index")

    monkeypatch.setattr(services, "get_engine", not_built)
    messages, _ = run_action(ActionAnswerFaq(store=store, settings=settings), make_tracker("社保"))
    assert [m["text"] for m in messages] == [replies.ENGINE_DOWN]


def test_store_failure_still_answers(engine, settings, caplog) -> None:
    action = ActionAnswerFaq(engine=engine, store=FakeStore(fail=True), settings=settings)
    with caplog.at_level(logging.WARNING):
        messages, events = run_action(action, make_tracker("社保卡丢了"))
    assert [m["text"] for m in messages] == ["到社保网点补办。", replies.HELPED_QUESTION]
    assert SlotSet("faq_answered", "F001") in events
    assert any(getattr(r, "event", None) == "store_failure" for r in caplog.records)


def test_store_that_cannot_be_opened_still_answers(engine, settings, monkeypatch) -> None:
    def down():
        raise ConnectionError("postgres unreachable")

    monkeypatch.setattr(services, "get_store", down)
    action = ActionAnswerFaq(engine=engine, settings=settings)
    messages, _ = run_action(action, make_tracker("社保"))
    assert messages[0]["text"] == "到社保网点补办。"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "/ask_question"])
def test_empty_message_asks_for_the_question(build, engine, text) -> None:
    messages, events = run_action(build(ActionAnswerFaq), make_tracker(text))
    assert [m["text"] for m in messages] == [replies.ASK_QUESTION]
    assert events == []
    assert engine.asked == []


def test_overlong_message_is_refused_without_the_engine(build, engine) -> None:
    messages, events = run_action(build(ActionAnswerFaq), make_tracker("社" * 10_000))
    assert [m["text"] for m in messages] == [replies.TOO_LONG]
    assert events == []
    assert engine.asked == []


def test_the_length_limit_comes_from_settings(engine, store) -> None:
    from bot.settings import Settings

    action = ActionAnswerFaq(engine=engine, store=store, settings=Settings(max_message_chars=5))
    messages, _ = run_action(action, make_tracker("社保卡丢了怎么办"))
    assert [m["text"] for m in messages] == [replies.TOO_LONG]
