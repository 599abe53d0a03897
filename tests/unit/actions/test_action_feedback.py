"""action_feedback_helped / action_feedback_not_helped."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import replies
from actions.feedback import ActionFeedbackHelped, ActionFeedbackNotHelped
from bot.store.base import Outcome, TransferReason
from tests.unit.actions.action_fakes import (
    SENDER,
    FakeStore,
    bot_event,
    faq_payload,
    make_tracker,
    run_action,
    slot_event,
)

ANSWERED = {
    "dialog_state": "awaiting_feedback",
    "faq_answered": "F001",
    "faq_candidates": ["F001", "F002"],
    "faq_query": "社保卡丢了",
    "next_offered": False,
}
ANSWER_TURN = [
    slot_event("faq_answered", "F001"),
    bot_event(replies.HELPED_QUESTION, faq_payload([("F001", 0.93), ("F002", 0.71)], "answer")),
]


def test_helped_ends_the_session_as_confirmed_deflection(build, store) -> None:
    tracker = make_tracker("有帮助", intent="affirm", slots=ANSWERED, events=ANSWER_TURN)
    messages, events = run_action(build(ActionFeedbackHelped), tracker)
    assert [m["text"] for m in messages] == [replies.HELPED]
    assert store.named("end_session") == [
        ((SENDER, Outcome.DEFLECTED), {"confirmed": True, "faq_id": "F001"})
    ]
    assert messages[0]["custom"]["outcome"] == "deflected"
    assert messages[0]["custom"]["faq"]["faq_id"] == "F001"
    assert events == [SlotSet("dialog_state", None)]


def test_helped_with_a_broken_store_still_thanks(engine, settings) -> None:
    action = ActionFeedbackHelped(engine=engine, store=FakeStore(fail=True), settings=settings)
    tracker = make_tracker("谢谢", intent="thanks", slots=ANSWERED, events=ANSWER_TURN)
    messages, _ = run_action(action, tracker)
    assert [m["text"] for m in messages] == [replies.HELPED]


def test_not_helped_offers_the_next_candidate_once(build, store) -> None:
    tracker = make_tracker("没帮助", intent="deny", slots=ANSWERED, events=ANSWER_TURN)
    messages, events = run_action(build(ActionFeedbackNotHelped), tracker)
    assert [m["text"] for m in messages] == [
        "那您看看这个是否是您要问的：\n在银行激活。",
        replies.HELPED_QUESTION,
    ]
    assert messages[-1]["custom"]["faq"]["faq_id"] == "F002"
    assert messages[-1]["custom"]["faq"]["candidates"][1] == {"faq_id": "F002", "score": 0.71}
    assert events == [
        SlotSet("dialog_state", "awaiting_feedback"),
        SlotSet("faq_answered", "F002"),
        SlotSet("faq_candidates", ["F001", "F002"]),
        SlotSet("faq_query", "社保卡丢了"),
        SlotSet("next_offered", True),
    ]
    assert store.named("mark_answered") == [((SENDER, "F002"), {})]


def test_not_helped_after_the_next_candidate_hands_over(build, store) -> None:
    slots = {**ANSWERED, "faq_answered": "F002", "next_offered": True}
    history = [*ANSWER_TURN, slot_event("faq_answered", "F002")]
    tracker = make_tracker("还是不对", intent="deny", slots=slots, events=history)
    messages, events = run_action(build(ActionFeedbackNotHelped), tracker)
    assert [m["text"] for m in messages] == [replies.HANDOVER]
    assert messages[0]["custom"]["reason"] == "negative_feedback"
    ((args, _),) = store.named("record_handover")
    assert args[1] is TransferReason.NEGATIVE_FEEDBACK
    assert args[2]["tried"] == ["F001", "F002"]
    assert args[2]["question"] == "社保卡丢了"
    assert events == [SlotSet("dialog_state", None)]


def test_not_helped_with_no_other_candidate_hands_over(build, store) -> None:
    slots = {**ANSWERED, "faq_candidates": ["F001"]}
    tracker = make_tracker("没帮助", intent="deny", slots=slots, events=ANSWER_TURN)
    messages, _ = run_action(build(ActionFeedbackNotHelped), tracker)
    assert [m["text"] for m in messages] == [replies.HANDOVER]
    assert store.named("record_handover")[0][0][1] is TransferReason.NEGATIVE_FEEDBACK


def test_not_helped_skips_a_retired_candidate(build) -> None:
    slots = {**ANSWERED, "faq_candidates": ["F001", "F999", "F003"]}
    tracker = make_tracker("没帮助", intent="deny", slots=slots, events=ANSWER_TURN)
    _, events = run_action(build(ActionFeedbackNotHelped), tracker)
    assert SlotSet("faq_answered", "F003") in events


def test_helped_records_the_feedback_on_the_answer(build, store) -> None:
    tracker = make_tracker("有帮助", intent="affirm", slots=ANSWERED, events=ANSWER_TURN)
    run_action(build(ActionFeedbackHelped), tracker)
    assert store.named("record_feedback") == [((SENDER, "F001", True), {})]
    names = [n for n, _, _ in store.calls if n != "start_session"]
    assert names == ["record_feedback", "end_session"]


def test_not_helped_records_the_feedback_before_the_next_candidate(build, store) -> None:
    tracker = make_tracker("没帮助", intent="deny", slots=ANSWERED, events=ANSWER_TURN)
    run_action(build(ActionFeedbackNotHelped), tracker)
    assert store.named("record_feedback") == [((SENDER, "F001", False), {})]


def test_not_helped_twice_records_the_second_answer_too(build, store) -> None:
    slots = {**ANSWERED, "faq_answered": "F002", "next_offered": True}
    history = [*ANSWER_TURN, slot_event("faq_answered", "F002")]
    tracker = make_tracker("还是不对", intent="deny", slots=slots, events=history)
    run_action(build(ActionFeedbackNotHelped), tracker)
    assert store.named("record_feedback") == [((SENDER, "F002", False), {})]
    assert store.named("record_handover")[0][0][1] is TransferReason.NEGATIVE_FEEDBACK


def test_feedback_without_an_answered_faq_records_none(build, store) -> None:
    slots = {**ANSWERED, "faq_answered": None}
    tracker = make_tracker("有帮助", intent="affirm", slots=slots, events=ANSWER_TURN)
    messages, _ = run_action(build(ActionFeedbackHelped), tracker)
    assert store.named("record_feedback") == []
    assert [m["text"] for m in messages] == [replies.HELPED]
