"""NLU did not understand: ask to rephrase; the second time in a row, hand over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rasa_sdk import Action
from rasa_sdk.events import EventType

from actions import history, replies
from actions.base import ServicesMixin
from actions.handover import hand_over
from bot.store.base import TransferReason

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict


class ActionFallback(ServicesMixin, Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if history.previous_user_intent(tracker) == history.FALLBACK_INTENT:
            store = self.store_or_none(tracker)
            return hand_over(dispatcher, tracker, store, TransferReason.REPEATED_FAILURE)
        dispatcher.utter_message(text=replies.NOT_UNDERSTOOD)
        return []
