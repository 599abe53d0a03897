"""action_fallback: rephrase once; two nlu_fallback messages in a row hand over."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import replies
from actions.fallback import ActionFallback
from bot.store.base import TransferReason
from tests.unit.actions.action_fakes import bot_event, make_tracker, run_action, user_event


def fallback(build, events):
    return run_action(build(ActionFallback), make_tracker("呃那个", "nlu_fallback", events=events))


def test_first_fallback_asks_to_rephrase(build, store) -> None:
    messages, events = fallback(build, [user_event("社保卡丢了"), bot_event("…")])
    assert [m["text"] for m in messages] == [replies.NOT_UNDERSTOOD]
    assert events == []
    assert store.calls == []


def test_two_fallbacks_in_a_row_hand_over(build, store) -> None:
    history = [user_event("嗯嗯啊", "nlu_fallback"), bot_event(replies.NOT_UNDERSTOOD)]
    messages, events = fallback(build, history)
    assert [m["text"] for m in messages] == [replies.HANDOVER]
    assert messages[0]["custom"]["reason"] == "repeated_failure"
    assert store.named("record_handover")[0][0][1] is TransferReason.REPEATED_FAILURE
    assert events == [SlotSet("dialog_state", None)]


def test_fallbacks_with_an_understood_message_between_do_not_hand_over(build) -> None:
    history = [user_event("嗯嗯啊", "nlu_fallback"), user_event("社保卡丢了")]
    messages, _ = fallback(build, history)
    assert [m["text"] for m in messages] == [replies.NOT_UNDERSTOOD]


def test_a_fallback_in_the_previous_session_does_not_count(build) -> None:
    history = [user_event("嗯嗯啊", "nlu_fallback"), {"event": "session_started"}]
    messages, _ = fallback(build, history)
    assert [m["text"] for m in messages] == [replies.NOT_UNDERSTOOD]
