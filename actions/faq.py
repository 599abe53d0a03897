"""The citizen asks a question, or picks one of the options offered for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rasa_sdk import Action
from rasa_sdk.events import EventType

from actions import history, replies
from actions.base import user_text
from actions.faq_flow import AWAITING_CHOICE, FaqFlow
from bot.engine.choice import parse_choice

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict

# Placeholder options to ask parse_choice "is this text only a position?" (blank options
# can never match by wording).
_POSITIONS_ONLY = [""] * 9


class ActionAnswerFaq(FaqFlow, Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = user_text(tracker)
        if self.text_problem(text) is None and tracker.get_slot("dialog_state") == AWAITING_CHOICE:
            chosen = self.choose(dispatcher, tracker, text)
            if chosen is not None:
                return chosen
        return await self.ask(dispatcher, tracker, text)


class ActionChooseOption(FaqFlow, Action):
    def name(self) -> str:
        return "action_choose_option"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = user_text(tracker)
        problem = self.text_problem(text)
        if problem:
            dispatcher.utter_message(text=problem)
            return []
        if not self.options(tracker):
            if parse_choice(text, _POSITIONS_ONLY) is not None:
                # "第二个" with nothing offered: there is nothing to pick from yet.
                dispatcher.utter_message(text=replies.ASK_QUESTION)
                return []
            # NLU took a question for a choice ("第二代社保卡怎么办"): look it up.
            return await self.ask(dispatcher, tracker, text)
        chosen = self.choose(dispatcher, tracker, text)
        if chosen is not None:
            return chosen
        if history.last_bot_text(tracker).startswith(replies.CHOICE_REASK):
            # Already re-asked once: take the text as a new question.
            return await self.ask(dispatcher, tracker, text)
        return self.reask_choice(dispatcher, tracker)
