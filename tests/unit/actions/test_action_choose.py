"""action_choose_option: pick by number or wording, re-ask once, else a new question."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import replies
from actions.faq import ActionChooseOption
from tests.unit.actions.action_fakes import (
    SENDER,
    bot_event,
    faq_payload,
    make_tracker,
    run_action,
    slot_event,
)

OFFERED = {
    "dialog_state": "awaiting_choice",
    "faq_candidates": ["F001", "F002", "F003"],
    "faq_query": "社保卡",
}
CLARIFY_TURN = [
    slot_event("faq_candidates", ["F001", "F002", "F003"]),
    bot_event(
        "您想问的是下面哪一个？", faq_payload([("F001", 0.7), ("F002", 0.68), ("F003", 0.6)])
    ),
]


def choose(build, text: str, events=None, slots=None):
    tracker = make_tracker(
        text, intent="choose_option", slots=slots or OFFERED, events=events or CLARIFY_TURN
    )
    return run_action(build(ActionChooseOption), tracker)


def test_choose_by_number_answers_that_entry(build, store) -> None:
    messages, events = choose(build, "第2个")
    assert [m["text"] for m in messages] == ["在银行激活。", replies.HELPED_QUESTION]
    assert events == [
        SlotSet("dialog_state", "awaiting_feedback"),
        SlotSet("faq_answered", "F002"),
        SlotSet("faq_candidates", ["F002", "F001", "F003"]),
        SlotSet("faq_query", "社保卡"),
        SlotSet("next_offered", False),
    ]
    assert store.named("mark_answered") == [((SENDER, "F002"), {})]


def test_choose_keeps_the_scores_of_the_clarify_turn(build) -> None:
    messages, _ = choose(build, "就是第一个吧")
    assert messages[-1]["custom"]["faq"] == {
        "decision": "answer",
        "faq_id": "F001",
        "candidates": [
            {"faq_id": "F001", "score": 0.7},
            {"faq_id": "F002", "score": 0.68},
            {"faq_id": "F003", "score": 0.6},
        ],
        "normalized_query": "社保卡",
    }


def test_choose_by_wording(build) -> None:
    messages, events = choose(build, "社保卡丢了补办那个")
    assert messages[0]["text"] == "到社保网点补办。"
    assert SlotSet("faq_answered", "F001") in events


def test_choose_last(build) -> None:
    _, events = choose(build, "最后那个")
    assert SlotSet("faq_answered", "F003") in events


def test_unclear_choice_reasks_with_the_list(build, engine) -> None:
    messages, events = choose(build, "前面那个")
    assert len(messages) == 1
    assert messages[0]["text"] == (
        "抱歉，我没能确定您选的是哪一个。您想问的是下面哪一个？\n"
        "1. 社保卡丢了怎么补办\n2. 社保卡如何激活\n3. 医保卡怎么挂失"
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == ["第1个", "第2个", "第3个"]
    assert messages[0]["custom"]["faq"]["decision"] == "clarify"
    assert events == [SlotSet("dialog_state", "awaiting_choice")]
    assert engine.asked == []


def test_out_of_range_reasks(build) -> None:
    messages, _ = choose(build, "第五个")
    assert messages[0]["text"].startswith(replies.CHOICE_REASK)


def test_second_unclear_choice_is_taken_as_a_new_question(build, engine) -> None:
    reasked = [*CLARIFY_TURN, bot_event(replies.CHOICE_REASK + replies.CLARIFY)]
    messages, _ = choose(build, "前面那个", events=reasked)
    assert engine.asked == ["前面那个"]
    assert messages[0]["text"] == "到社保网点补办。"


def test_a_position_with_nothing_offered_asks_for_the_question(build, engine) -> None:
    messages, events = choose(build, "第二个", events=[], slots={"dialog_state": None})
    assert [m["text"] for m in messages] == [replies.ASK_QUESTION]
    assert events == []
    assert engine.asked == []


def test_a_question_taken_for_a_choice_goes_to_the_engine(build, engine) -> None:
    choose(build, "第二代社保卡怎么办理", events=[], slots={"dialog_state": None})
    assert engine.asked == ["第二代社保卡怎么办理"]


def test_candidates_of_an_answer_are_not_options(build, engine) -> None:
    # After an answer faq_candidates holds ranks the citizen never saw.
    slots = {"dialog_state": "awaiting_feedback", "faq_candidates": ["F001", "F002"]}
    messages, _ = choose(build, "第二个", events=[], slots=slots)
    assert [m["text"] for m in messages] == [replies.ASK_QUESTION]


def test_overlong_choice_is_refused(build, engine) -> None:
    messages, _ = choose(build, "第二个" * 5000)
    assert [m["text"] for m in messages] == [replies.TOO_LONG]
