"""The work-order form (a complaint or a problem report): validate its slots, then submit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import EventType, SlotSet

from actions import payload, recording, replies
from actions.base import ServicesMixin, channel_of
from actions.faq_flow import IN_WORK_ORDER
from actions.handover import FORM_SLOTS, hand_over
from actions.phone import read_phone
from bot.store.base import Outcome, TransferReason

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict

log = logging.getLogger(__name__)


class ValidateWorkOrderForm(ServicesMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_work_order_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        # Only alongside validated slots: rasa's form rejects (so the request_human rule can
        # hand over) when validation returns no SlotSet, and any SlotSet would prevent that.
        if events and tracker.get_slot("dialog_state") != IN_WORK_ORDER:
            events.append(SlotSet("dialog_state", IN_WORK_ORDER))
        return events

    def _text(self, slot: str, value: Any) -> dict[str, Any]:
        # None makes the form ask for the slot again with its utter_ask_<slot>.
        text = value.strip() if isinstance(value, str) else ""
        return {slot: text[: self.settings.max_message_chars] or None}

    def validate_wo_what(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._text("wo_what", value)

    def validate_wo_where(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._text("wo_where", value)

    def validate_wo_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = read_phone(value) if isinstance(value, str) else None
        if phone is None:
            dispatcher.utter_message(text=replies.PHONE_INVALID)
        return {"wo_phone": phone}


class ActionSubmitWorkOrder(ServicesMixin, Action):
    def name(self) -> str:
        return "action_submit_work_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        what = _slot_text(tracker, "wo_what")
        where = _slot_text(tracker, "wo_where")
        phone = _slot_text(tracker, "wo_phone") or None  # "" = the citizen declined
        store = self.store_or_none(tracker)
        order = recording.write(
            store,
            "create_work_order",
            tracker.sender_id,
            channel_of(tracker),
            lambda s: s.create_work_order(tracker.sender_id, what, where, phone),
        )
        reset = [SlotSet(slot, None) for slot in FORM_SLOTS]
        if order is None:
            # Without a number the citizen has nothing to follow up with: a human takes it.
            events = hand_over(
                dispatcher,
                tracker,
                store,
                TransferReason.COMPLAINT,
                message=replies.WORK_ORDER_FAILED,
            )
            return events + reset
        dispatcher.utter_message(text=replies.WORK_ORDER_DONE.format(number=order.number))
        payload.attach(
            dispatcher,
            payload.build(payload.WORK_ORDER, outcome=Outcome.WORK_ORDER.value),
        )
        return [*reset, SlotSet("dialog_state", None)]


def _slot_text(tracker: Tracker, slot: str) -> str:
    value = tracker.get_slot(slot)
    return value.strip() if isinstance(value, str) else ""
