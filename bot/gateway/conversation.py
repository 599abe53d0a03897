"""One citizen turn through the bot, for every channel (chat, voice, phone, replay).

The text goes to rasa (which runs the dialog and calls the action server); the turn is then
recorded in the store with the intent rasa gave it and the FAQ payload the actions attached.
When rasa cannot be reached the turn is answered from the FAQ engine directly (degraded
mode, named and recorded), so citizens still get answers while the dialog server is down.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.engine.choice import parse_choice
from bot.engine.types import Decision, FaqResult
from bot.gateway import replies
from bot.gateway.rasa_client import (
    BotMessage,
    DialogState,
    RasaClient,
    RasaTurn,
    RasaUnavailable,
)
from bot.store.base import Candidate, Channel, Outcome, Store, TransferReason, Turn
from bot.text.normalize import is_meaningful

log = logging.getLogger(__name__)


def _has_words(text: str) -> bool:
    """Anything but whitespace, punctuation and emoji. Greetings and fillers ("你好", "嗯")
    count: they are the dialog's to answer, even though the FAQ engine has nothing to match."""
    return any(ch.isalnum() for ch in text)


@dataclass(frozen=True)
class ChatReply:
    session_id: str
    messages: tuple[BotMessage, ...]
    decision: str
    faq_id: str | None = None
    candidates: tuple[Candidate, ...] = ()
    outcome: str | None = None
    degraded: bool = False
    latency_ms: float = 0.0
    intent: str | None = None
    intent_confidence: float | None = None
    awaiting: str | None = None  # the work-order detail the bot is asking for, if any

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "messages": [m.to_dict() for m in self.messages],
            "decision": self.decision,
            "faq_id": self.faq_id,
            "candidates": [{"faq_id": c.faq_id, "score": c.score} for c in self.candidates],
            "outcome": self.outcome,
            "degraded": self.degraded,
            "latency_ms": round(self.latency_ms, 1),
            "intent": self.intent,
            "intent_confidence": self.intent_confidence,
            "awaiting": self.awaiting,
        }


@dataclass
class _DegradedState:
    choices: list[tuple[str, str]] = field(default_factory=list)  # (faq_id, question)


class ConversationService:
    def __init__(self, rasa: RasaClient | None, engine: Any, store: Store, max_chars: int) -> None:
        self.rasa = rasa
        self.engine = engine  # FaqService (duck-typed: ask, entry)
        self.store = store
        self.max_chars = max_chars
        self._degraded: dict[str, _DegradedState] = {}

    async def handle(
        self,
        session_id: str,
        text: str,
        channel: Channel = Channel.CHAT,
        asr_confidence: float | None = None,
    ) -> ChatReply:
        started = time.perf_counter()
        text = logged = text.strip()
        if not _has_words(text):
            reply = ChatReply(session_id, (BotMessage(replies.EMPTY),), "reply")
        elif len(text) > self.max_chars:
            reply = ChatReply(session_id, (BotMessage(replies.TOO_LONG),), "reply")
            # Enough to see what it was; storing all of it would let abuse fill the log.
            logged = f"{text[: self.max_chars]}…[已截断，原文 {len(text)} 字]"
        else:
            reply = await self._dialog(session_id, text, channel)
        latency = (time.perf_counter() - started) * 1000
        reply = replace(reply, latency_ms=latency)
        await self._record(reply, logged, channel, asr_confidence)
        return reply

    async def _dialog(self, session_id: str, text: str, channel: Channel) -> ChatReply:
        if self.rasa is not None:
            try:
                turn = await self.rasa.send(session_id, text, {"channel": channel.value})
            except RasaUnavailable as err:
                log.warning("rasa unavailable, answering from the FAQ engine: %s", err)
            else:
                self._degraded.pop(session_id, None)
                state = await self.rasa.dialog_state(session_id)
                return self._from_rasa(session_id, turn, state)
        return await self._degraded_turn(session_id, text)

    def _from_rasa(
        self, session_id: str, turn: RasaTurn, state: DialogState
    ) -> ChatReply:
        faq = turn.custom.get("faq") or {}
        outcome = turn.custom.get("outcome")
        decision = faq.get("decision") or ("handover" if outcome == "transferred" else "reply")
        if outcome == "work_order":
            decision = "work_order"
        candidates = tuple(
            Candidate(str(c["faq_id"]), float(c["score"]))
            for c in faq.get("candidates") or []
            if isinstance(c, dict) and "faq_id" in c and "score" in c
        )
        messages = turn.messages or (BotMessage(replies.NO_REPLY),)
        return ChatReply(
            session_id, messages, decision, faq.get("faq_id"), candidates, outcome,
            intent=state.intent, intent_confidence=state.confidence, awaiting=state.awaiting,
        )

    async def _degraded_turn(self, session_id: str, text: str) -> ChatReply:
        state = self._degraded.setdefault(session_id, _DegradedState())
        if state.choices:
            picked = parse_choice(text, [q for _, q in state.choices])
            if picked is not None:
                faq_id = state.choices[picked][0]
                state.choices = []
                entry = self.engine.entry(faq_id)
                if entry is not None:
                    await self._write("mark_answered", self.store.mark_answered, session_id, faq_id)
                    return ChatReply(
                        session_id, (BotMessage(entry.answer),), "answer", faq_id, degraded=True
                    )
        if not is_meaningful(text):
            # "你好", "嗯": nothing for the engine to match, and no reason to hand over.
            return ChatReply(session_id, (BotMessage(replies.EMPTY),), "reply", degraded=True)
        try:
            result: FaqResult | None = await run_in_threadpool(self.engine.ask, text)
        except Exception:  # neither rasa nor the engine: a human must take it
            log.exception("FAQ engine failed in degraded mode; handing over")
            result = None
        candidates = (
            tuple(Candidate(c.faq_id, c.score) for c in result.candidates) if result else ()
        )
        if result is None:
            pass
        elif result.decision is Decision.ANSWER and result.top is not None:
            await self._write("mark_answered", self.store.mark_answered, session_id,
                              result.top.faq_id)
            return ChatReply(
                session_id, (BotMessage(result.top.answer),), "answer",
                result.top.faq_id, candidates, degraded=True,
            )
        elif result.decision is Decision.CLARIFY:
            state.choices = [(c.faq_id, c.question) for c in result.candidates]
            return ChatReply(
                session_id, (replies.choices_message(state.choices),), "clarify",
                None, candidates, degraded=True,
            )
        summary = {"question": text, "candidates": [c.__dict__ for c in candidates],
                   "reason": TransferReason.LOW_CONFIDENCE.value, "degraded": True}
        await self._write("record_handover", self.store.record_handover, session_id,
                          TransferReason.LOW_CONFIDENCE, summary)
        return ChatReply(
            session_id, (BotMessage(replies.HANDOVER),), "handover", None, candidates,
            Outcome.TRANSFERRED.value, degraded=True,
        )

    async def _write(self, op: str, call: Any, *args: Any) -> None:
        """A store write of degraded mode: a failing store is logged, the citizen still
        gets the reply."""
        try:
            await run_in_threadpool(call, *args)
        except Exception:
            log.exception("could not %s for session %s", op, args[0])

    async def _record(
        self, reply: ChatReply, text: str, channel: Channel, asr_confidence: float | None
    ) -> None:
        turn = Turn(
            session_id=reply.session_id,
            channel=channel,
            text=text,
            at=datetime.now(UTC),
            intent=reply.intent,
            intent_confidence=reply.intent_confidence,
            candidates=reply.candidates,
            decision=reply.decision,
            faq_id=reply.faq_id,
            reply="\n".join(m.text for m in reply.messages)[:2000],
            latency_ms=reply.latency_ms,
            asr_confidence=asr_confidence,
        )
        try:
            await run_in_threadpool(self.store.record_turn, turn)
        except Exception:  # the citizen still gets the reply; the failure is logged
            log.exception("could not record turn of session %s", reply.session_id)

    async def end(self, session_id: str) -> str:
        outcome = await run_in_threadpool(self.store.close_session, session_id)
        self._degraded.pop(session_id, None)
        return outcome.value if hasattr(outcome, "value") else str(outcome)
