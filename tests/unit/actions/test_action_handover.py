"""action_handover and hand_over(): the agent summary, ending a form, a failing store."""

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.handover import ActionHandover, hand_over
from bot.store.base import TransferReason
from tests.unit.actions.action_fakes import (
    SENDER,
    FakeStore,
    bot_event,
    faq_payload,
    make_tracker,
    run_action,
    slot_event,
    user_event,
)


def test_request_human_records_the_summary(build, store) -> None:
    history = [
        user_event("社保卡丢了"),
        slot_event("faq_answered", "F001"),
        bot_event(replies.HELPED_QUESTION, faq_payload([("F001", 0.93), ("F002", 0.71)])),
        user_event("没帮助", "deny"),
        slot_event("faq_answered", "F002"),
    ]
    slots = {"faq_query": "社保卡丢了", "faq_answered": "F002", "faq_candidates": ["F001", "F002"]}
    tracker = make_tracker("转人工", intent="request_human", slots=slots, events=history)
    messages, events = run_action(build(ActionHandover), tracker)
    assert [m["text"] for m in messages] == [replies.HANDOVER]
    assert store.named("record_handover") == [
        (
            (
                SENDER,
                TransferReason.CITIZEN_REQUEST,
                {
                    "question": "社保卡丢了",
                    "tried": ["F001", "F002"],
                    "candidates": [
                        {"faq_id": "F001", "score": 0.93},
                        {"faq_id": "F002", "score": 0.71},
                    ],
                    "reason": "citizen_request",
                    "transcript": ["社保卡丢了", "没帮助", "转人工"],
                },
            ),
            {},
        )
    ]
    assert messages[0]["custom"] == {
        "faq": {
            "decision": "handover",
            "faq_id": None,
            "candidates": [{"faq_id": "F001", "score": 0.93}, {"faq_id": "F002", "score": 0.71}],
            "normalized_query": "",
        },
        "outcome": "transferred",
        "reason": "citizen_request",
    }
    assert events == [SlotSet("dialog_state", None)]


def test_summary_question_falls_back_to_the_first_question_of_the_session(build, store) -> None:
    history = [
        user_event("上个会话的问题"),
        {"event": "session_started"},
        user_event("你好", "greet"),
        user_event("护照怎么办理"),
        user_event("港澳通行证呢"),
    ]
    tracker = make_tracker("人工", intent="request_human", events=history)
    run_action(build(ActionHandover), tracker)
    summary = store.named("record_handover")[0][0][2]
    assert summary["question"] == "护照怎么办理"
    assert summary["transcript"] == ["你好", "护照怎么办理", "港澳通行证呢", "人工"]
    assert summary["tried"] == []


def test_transcript_keeps_the_last_ten_user_texts(build, store) -> None:
    history = [user_event(f"问题{n}") for n in range(12)]
    run_action(build(ActionHandover), make_tracker("人工", "request_human", events=history))
    transcript = store.named("record_handover")[0][0][2]["transcript"]
    assert transcript == [f"问题{n}" for n in range(3, 12)] + ["人工"]


def test_candidates_without_a_known_score_keep_their_id_in_the_summary(build, store) -> None:
    tracker = make_tracker("人工", "request_human", slots={"faq_candidates": ["F001"]})
    messages, _ = run_action(build(ActionHandover), tracker)
    summary = store.named("record_handover")[0][0][2]
    assert summary["candidates"] == [{"faq_id": "F001", "score": None}]
    # The payload the gateway records carries only float scores.
    assert messages[0]["custom"]["faq"]["candidates"] == []


def test_handover_ends_an_active_work_order_form(build) -> None:
    tracker = make_tracker(
        "我要人工",
        intent="request_human",
        slots={"wo_what": "路灯坏了", "requested_slot": "wo_where"},
        active_loop={"name": "work_order_form"},
    )
    _, events = run_action(build(ActionHandover), tracker)
    assert events == [
        SlotSet("dialog_state", None),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("wo_what", None),
        SlotSet("wo_where", None),
        SlotSet("wo_phone", None),
    ]


def test_handover_with_a_broken_store_still_tells_the_citizen(engine, settings) -> None:
    action = ActionHandover(engine=engine, store=FakeStore(fail=True), settings=settings)
    messages, _ = run_action(action, make_tracker("人工", "request_human"))
    assert [m["text"] for m in messages] == [replies.HANDOVER]


def test_hand_over_function_takes_a_reason_string_and_no_store() -> None:
    dispatcher = CollectingDispatcher()
    events = hand_over(dispatcher, make_tracker("投诉"), None, "complaint", message="稍等")
    assert [m["text"] for m in dispatcher.messages] == ["稍等"]
    assert dispatcher.messages[0]["custom"]["reason"] == "complaint"
    assert events == [SlotSet("dialog_state", None)]
