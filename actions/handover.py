"""Hand the citizen over to a human agent, with a summary the agent reads first."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action
from rasa_sdk.events import ActiveLoop, EventType, SlotSet

from actions import history, payload, recording, replies
from actions.base import ServicesMixin, channel_of
from bot.store.base import TransferReason

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict

    from bot.engine.types import FaqResult
    from bot.store.base import Store

log = logging.getLogger(__name__)

FORM_SLOTS = ("wo_what", "wo_where", "wo_phone")


def hand_over(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    store: Store | None,
    reason: TransferReason | str,
    *,
    result: FaqResult | None = None,
    message: str | None = None,
) -> list[EventType]:
    """Say we are transferring, record the hand-over with its summary, end any form.

    `result` is the FAQ lookup of this turn, when the hand-over comes from one: its
    candidates and query are newer than anything in the tracker.
    """
    reason = TransferReason(reason)
    summary = build_summary(tracker, reason, result)
    recording.write(
        store,
        "record_handover",
        tracker.sender_id,
        channel_of(tracker),
        lambda s: s.record_handover(tracker.sender_id, reason, summary),
    )
    dispatcher.utter_message(text=message or replies.HANDOVER)
    payload.attach(
        dispatcher,
        payload.build(
            payload.HANDOVER,
            candidates=summary["candidates"],
            normalized_query=result.normalized_query if result else "",
            outcome="transferred",
            reason=reason.value,
        ),
    )
    events: list[EventType] = [SlotSet("dialog_state", None)]
    if (tracker.active_loop or {}).get("name"):
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        events += [SlotSet(slot, None) for slot in FORM_SLOTS]
    return events


def build_summary(
    tracker: Tracker, reason: TransferReason, result: FaqResult | None = None
) -> dict[str, Any]:
    question = tracker.get_slot("faq_query")
    if result is not None:
        question = result.query
    if not isinstance(question, str) or not question:
        question = history.first_question(tracker)
    candidates = payload.candidates_of(result) if result else history.known_candidates(tracker)
    return {
        "question": question,
        "tried": history.answered_ids(tracker),
        "candidates": candidates,
        "reason": reason.value,
        "transcript": history.transcript(tracker),
    }


class ActionHandover(ServicesMixin, Action):
    """The citizen asked for a human (also ends an active work-order form)."""

    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return hand_over(dispatcher, tracker, self.store_or_none(tracker), "citizen_request")
