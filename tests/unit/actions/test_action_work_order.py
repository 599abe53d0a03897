"""validate_work_order_form and action_submit_work_order."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import replies
from actions.work_order import ActionSubmitWorkOrder, ValidateWorkOrderForm
from bot.store.base import TransferReason
from tests.unit.actions.action_fakes import SENDER, FakeStore, make_tracker, run_action, slot_event

DOMAIN = {
    "forms": {"work_order_form": {"required_slots": ["wo_what", "wo_where", "wo_phone"]}},
    "slots": {},
}


def validate(build, slot: str, value: str):
    """The form just extracted `value` into `slot` (rasa appends the SlotSet last)."""
    tracker = make_tracker(
        value,
        intent="inform",
        slots={slot: value, "requested_slot": slot, "dialog_state": "in_work_order"},
        events=[{"event": "action", "name": "work_order_form"}, slot_event(slot, value)],
        active_loop={"name": "work_order_form"},
    )
    # make_tracker appends the user message last; validation reads the trailing SlotSets.
    tracker.events.append(tracker.events.pop(-2))
    return run_action(build(ValidateWorkOrderForm), tracker, DOMAIN)


def test_good_mobile_is_kept_as_digits(build) -> None:
    messages, events = validate(build, "wo_phone", "138 1234 5678")
    assert events == [SlotSet("wo_phone", "13812345678")]
    assert messages == []


def test_landline_is_accepted(build) -> None:
    _, events = validate(build, "wo_phone", "0571-87654321")
    assert events == [SlotSet("wo_phone", "057187654321")]


def test_refusal_is_stored_as_empty(build) -> None:
    messages, events = validate(build, "wo_phone", "不留了")
    assert events == [SlotSet("wo_phone", "")]
    assert messages == []


def test_bad_phone_is_asked_again(build) -> None:
    messages, events = validate(build, "wo_phone", "12345")
    assert events == [SlotSet("wo_phone", None)]
    assert [m["text"] for m in messages] == [replies.PHONE_INVALID]


def test_what_and_where_are_stripped(build) -> None:
    _, events = validate(build, "wo_what", "  路灯坏了 ")
    assert events == [SlotSet("wo_what", "路灯坏了")]


def test_blank_where_is_asked_again(build) -> None:
    _, events = validate(build, "wo_where", "   ")
    assert events == [SlotSet("wo_where", None)]


def test_validation_marks_the_dialog_state(build) -> None:
    tracker = make_tracker(
        "路灯坏了",
        slots={"wo_what": "路灯坏了", "requested_slot": "wo_what"},
        events=[{"event": "action", "name": "work_order_form"}],
        active_loop={"name": "work_order_form"},
    )
    tracker.events.append(slot_event("wo_what", "路灯坏了"))
    _, events = run_action(build(ValidateWorkOrderForm), tracker, DOMAIN)
    assert events == [SlotSet("wo_what", "路灯坏了"), SlotSet("dialog_state", "in_work_order")]


FILLED = {"wo_what": "路灯坏了", "wo_where": "人民路12号", "wo_phone": "13812345678"}


def test_submit_creates_the_work_order_and_says_its_number(build, store) -> None:
    messages, events = run_action(build(ActionSubmitWorkOrder), make_tracker("…", slots=FILLED))
    assert store.named("create_work_order") == [
        ((SENDER, "路灯坏了", "人民路12号", "13812345678"), {})
    ]
    assert [m["text"] for m in messages] == [
        "已为您登记工单，工单号 GD20261203-000042，相关部门会在 3 个工作日内处理并回复。"
    ]
    assert messages[0]["custom"] == {
        "faq": {
            "decision": "work_order",
            "faq_id": None,
            "candidates": [],
            "normalized_query": "",
        },
        "outcome": "work_order",
        "reason": None,
    }
    assert events == [
        SlotSet("wo_what", None),
        SlotSet("wo_where", None),
        SlotSet("wo_phone", None),
        SlotSet("dialog_state", None),
    ]


def test_submit_without_a_phone_passes_none(build, store) -> None:
    run_action(build(ActionSubmitWorkOrder), make_tracker("…", slots={**FILLED, "wo_phone": ""}))
    assert store.named("create_work_order")[0][0][3] is None


def test_submit_with_a_broken_store_hands_over(engine, settings) -> None:
    action = ActionSubmitWorkOrder(engine=engine, store=FakeStore(fail=True), settings=settings)
    messages, events = run_action(action, make_tracker("…", slots=FILLED))
    assert [m["text"] for m in messages] == [replies.WORK_ORDER_FAILED]
    assert messages[0]["custom"]["reason"] == TransferReason.COMPLAINT.value
    assert SlotSet("wo_what", None) in events
    assert SlotSet("dialog_state", None) in events


def test_nothing_extracted_returns_no_events_so_the_form_rejects(build) -> None:
    # e.g. "转人工" inside the form: the slot mappings skip request_human, nothing is
    # extracted, and rasa's form must reject so the hand-over rule applies.
    tracker = make_tracker(
        "转人工",
        intent="request_human",
        slots={"requested_slot": "wo_where"},
        events=[{"event": "action", "name": "work_order_form"}],
        active_loop={"name": "work_order_form"},
    )
    _, events = run_action(build(ValidateWorkOrderForm), tracker, DOMAIN)
    assert events == []
