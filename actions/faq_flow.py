"""The FAQ steps the question, choice and feedback actions share: ask the engine, answer an
entry, offer choices, read the offered options back."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from rasa_sdk.events import EventType, SlotSet

from actions import history, payload, recording, replies
from actions.base import ServicesMixin, channel_of
from actions.handover import hand_over
from bot.engine.choice import parse_choice
from bot.engine.types import Decision
from bot.store.base import TransferReason

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.engine.types import FaqResult
    from bot.kb.model import FaqEntry

log = logging.getLogger(__name__)

AWAITING_FEEDBACK = "awaiting_feedback"
AWAITING_CHOICE = "awaiting_choice"
IN_WORK_ORDER = "in_work_order"
MAX_CHOICES = 3


class FaqFlow(ServicesMixin):
    def text_problem(self, text: str) -> str | None:
        """The polite reply for a text the engine should not see, else None."""
        stripped = text.strip()
        # "/intent" is a button payload that reached us as text; it is not a question.
        if not stripped or stripped.startswith("/"):
            return replies.ASK_QUESTION
        if len(stripped) > self.settings.max_message_chars:
            return replies.TOO_LONG
        return None

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str
    ) -> list[EventType]:
        """Look the text up and answer, offer choices or hand over, as the engine decides."""
        problem = self.text_problem(text)
        if problem:
            dispatcher.utter_message(text=problem)
            return []
        query = text.strip()
        try:
            # The engine is CPU-bound (and loads the model on first use): keep it off the
            # event loop so /health and other conversations are not blocked.
            result = await asyncio.to_thread(lambda: self.engine.ask(query))
        except Exception as err:
            recording.degraded(log, "engine_failure", tracker.sender_id, error=repr(err))
            store = self.store_or_none(tracker)
            return hand_over(
                dispatcher,
                tracker,
                store,
                TransferReason.LOW_CONFIDENCE,
                message=replies.ENGINE_DOWN,
            )
        top = result.top
        if result.decision is Decision.ANSWER and top is not None:
            found = payload.build(
                payload.ANSWER,
                faq_id=top.faq_id,
                candidates=payload.candidates_of(result),
                normalized_query=result.normalized_query,
            )
            ids = [c.faq_id for c in result.candidates]
            return self.answer(
                dispatcher, tracker, top.faq_id, top.answer, ids, result.query, found
            )
        if result.decision is Decision.CLARIFY and result.candidates:
            return self.clarify(dispatcher, result)
        store = self.store_or_none(tracker)
        return hand_over(dispatcher, tracker, store, TransferReason.LOW_CONFIDENCE, result=result)

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        faq_id: str,
        answer_text: str,
        candidate_ids: list[str],
        query: str,
        found: dict[str, Any],
        *,
        prefix: str = "",
        next_offered: bool = False,
    ) -> list[EventType]:
        dispatcher.utter_message(text=f"{prefix}\n{answer_text}" if prefix else answer_text)
        dispatcher.utter_message(
            text=replies.HELPED_QUESTION, buttons=[dict(b) for b in replies.FEEDBACK_BUTTONS]
        )
        payload.attach(dispatcher, found)
        recording.write(
            self.store_or_none(tracker),
            "mark_answered",
            tracker.sender_id,
            channel_of(tracker),
            lambda s: s.mark_answered(tracker.sender_id, faq_id),
        )
        return [
            SlotSet("dialog_state", AWAITING_FEEDBACK),
            SlotSet("faq_answered", faq_id),
            SlotSet("faq_candidates", candidate_ids),
            SlotSet("faq_query", query),
            SlotSet("next_offered", next_offered),
        ]

    def clarify(self, dispatcher: CollectingDispatcher, result: FaqResult) -> list[EventType]:
        offered = result.candidates[:MAX_CHOICES]
        questions = [c.question for c in offered]
        dispatcher.utter_message(
            text=f"{replies.CLARIFY}\n{replies.numbered(questions)}",
            buttons=replies.choice_buttons(questions),
        )
        found = payload.build(
            payload.CLARIFY,
            candidates=payload.candidates_of(result),
            normalized_query=result.normalized_query,
        )
        payload.attach(dispatcher, found)
        return [
            SlotSet("dialog_state", AWAITING_CHOICE),
            SlotSet("faq_candidates", [c.faq_id for c in offered]),
            SlotSet("faq_query", result.query),
        ]

    def options(self, tracker: Tracker) -> list[tuple[str, str]]:
        """(faq_id, standard question) of the entries offered, in the order shown; none
        unless a choice is pending (after an answer, faq_candidates holds unshown ranks)."""
        offered: list[tuple[str, str]] = []
        if tracker.get_slot("dialog_state") != AWAITING_CHOICE:
            return offered
        for faq_id in history.candidate_ids(tracker)[:MAX_CHOICES]:
            entry = self.entry(tracker, faq_id)
            # An entry retired since it was offered keeps its place so numbers still line up.
            offered.append((faq_id, entry.question if entry else ""))
        return offered

    def entry(self, tracker: Tracker, faq_id: str) -> FaqEntry | None:
        try:
            return self.engine.entry(faq_id)
        except Exception as err:
            recording.degraded(log, "engine_failure", tracker.sender_id, error=repr(err))
            return None

    def choose(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str
    ) -> list[EventType] | None:
        """Answer the option `text` picks; None (nothing uttered) when it picks none."""
        offered = self.options(tracker)
        if not offered:
            return None
        index = parse_choice(text, [question for _, question in offered])
        if index is None:
            return None
        faq_id = offered[index][0]
        entry = self.entry(tracker, faq_id)
        if entry is None:
            return None
        last = history.last_faq_payload(tracker)
        found = payload.build(
            payload.ANSWER,
            faq_id=faq_id,
            candidates=history.known_candidates(tracker),
            normalized_query=str(last.get("normalized_query") or ""),
        )
        # The chosen one first, then the other offered ones: "not helped" offers the next.
        ids = [faq_id] + [other for other, _ in offered if other != faq_id]
        query = tracker.get_slot("faq_query")
        question = query if isinstance(query, str) and query else text.strip()
        return self.answer(dispatcher, tracker, faq_id, entry.answer, ids, question, found)

    def reask_choice(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        questions = [question for _, question in self.options(tracker)]
        dispatcher.utter_message(
            text=f"{replies.CHOICE_REASK}{replies.CLARIFY}\n{replies.numbered(questions)}",
            buttons=replies.choice_buttons(questions),
        )
        last = history.last_faq_payload(tracker)
        found = payload.build(
            payload.CLARIFY,
            candidates=history.known_candidates(tracker),
            normalized_query=str(last.get("normalized_query") or ""),
        )
        payload.attach(dispatcher, found)
        return [SlotSet("dialog_state", AWAITING_CHOICE)]
