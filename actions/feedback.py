"""Did the answer help? Yes ends the session as a confirmed deflection; no offers the next
candidate once, then hands over. Either way the answer's feedback is recorded on its own
(Store.record_feedback), so a later hand-over in the session does not erase it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rasa_sdk import Action
from rasa_sdk.events import EventType, SlotSet

from actions import history, payload, recording, replies
from actions.base import ServicesMixin, channel_of
from actions.faq_flow import FaqFlow
from actions.handover import hand_over
from bot.store.base import Outcome, TransferReason

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict

    from bot.store.base import Store


def record_feedback(
    store: Store | None, tracker: Tracker, faq_id: str | None, *, helped: bool
) -> None:
    """Record the citizen's word on the answer just given (nothing when none is known)."""
    if not faq_id:
        return
    recording.write(
        store,
        "record_feedback",
        tracker.sender_id,
        channel_of(tracker),
        lambda s: s.record_feedback(tracker.sender_id, faq_id, helped),
    )


class ActionFeedbackHelped(ServicesMixin, Action):
    def name(self) -> str:
        return "action_feedback_helped"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answered = tracker.get_slot("faq_answered")
        faq_id = answered if isinstance(answered, str) and answered else None
        store = self.store_or_none(tracker)
        record_feedback(store, tracker, faq_id, helped=True)
        recording.write(
            store,
            "end_session",
            tracker.sender_id,
            channel_of(tracker),
            lambda s: s.end_session(
                tracker.sender_id, Outcome.DEFLECTED, confirmed=True, faq_id=faq_id
            ),
        )
        dispatcher.utter_message(text=replies.HELPED)
        last = history.last_faq_payload(tracker)
        payload.attach(
            dispatcher,
            payload.build(
                payload.ANSWER,
                faq_id=faq_id,
                candidates=history.known_candidates(tracker),
                normalized_query=str(last.get("normalized_query") or ""),
                outcome=Outcome.DEFLECTED.value,
            ),
        )
        return [SlotSet("dialog_state", None)]


class ActionFeedbackNotHelped(FaqFlow, Action):
    def name(self) -> str:
        return "action_feedback_not_helped"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answered = tracker.get_slot("faq_answered")
        store = self.store_or_none(tracker)
        record_feedback(
            store, tracker, answered if isinstance(answered, str) else None, helped=False
        )
        if not tracker.get_slot("next_offered"):
            events = self._offer_next(dispatcher, tracker)
            if events is not None:
                return events
        return hand_over(dispatcher, tracker, store, TransferReason.NEGATIVE_FEEDBACK)

    def _offer_next(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType] | None:
        tried = set(history.answered_ids(tracker))
        ranked = history.candidate_ids(tracker)
        for faq_id in ranked:
            if faq_id in tried:
                continue
            entry = self.entry(tracker, faq_id)
            if entry is None:
                continue
            last = history.last_faq_payload(tracker)
            found = payload.build(
                payload.ANSWER,
                faq_id=faq_id,
                candidates=history.known_candidates(tracker),
                normalized_query=str(last.get("normalized_query") or ""),
            )
            query = tracker.get_slot("faq_query")
            return self.answer(
                dispatcher,
                tracker,
                faq_id,
                entry.answer,
                ranked,
                query if isinstance(query, str) else "",
                found,
                prefix=replies.NEXT_CANDIDATE,
                next_offered=True,
            )
        return None
