"""The dialog as a phone caller meets it: a thin layer over ConversationService.handle for
one call.

- Replies are rewritten for the keypad: the "did this help?" question says which key to
  press, a list of choices says the digits pick them, and a long answer is cut with a note
  that says what a caller can do (the voice default promises an SMS, which no phone line
  of ours sends).
- It remembers what the citizen asked and what was tried, for the hand-over summary.
- Keys become the words the dialog understands (1 -> 有帮助, 2 -> 没帮助, 3 -> 第3个).
- In degraded mode (rasa down) the FAQ engine answers but nothing handles "有帮助": the
  feedback after a degraded answer is then handled here, so pressing 1 confirms the answer
  instead of being searched for as a question.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.gateway.rasa_client import BotMessage
from bot.store.base import Channel, Outcome, Store, TransferReason, Turn
from bot.voice.speech_text import DEFAULT_MAX_CHARS, clean, shorten

log = logging.getLogger(__name__)

FEEDBACK_PROMPT = "请问这个回答对您有帮助吗？有帮助请按1或说有帮助，没帮助请按2，转人工请按0。"
FEEDBACK_BUTTONS = ({"title": "有帮助", "payload": "/affirm"},
                    {"title": "没帮助", "payload": "/deny"})
CLARIFY_KEYS = "请说出序号，或者按对应的数字键。"
LONG_ANSWER_NOTE = "详细内容可以登录政务服务网查询，或按0转人工客服。"
HELPED = "很高兴能帮到您！还有其他问题吗？"
HANDOVER = "好的，正在为您转接人工客服，请稍候。"
YES, NO = "有帮助", "没帮助"
_YES_WORDS = {YES, "有帮助的", "有用", "是的", "是", "对", "对的", "好的", "解决了", "可以"}
_NO_WORDS = {NO, "没有帮助", "没用", "没有用", "不是", "不对", "没有", "没解决", "不行"}
PHONE_KEYS_END = "#"
MOBILE_DIGITS = 11  # 1xx xxxx xxxx ends by itself; a landline (0755 xxxxxxxx) with #
MAX_PHONE_DIGITS = 12


def _words(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


class PhoneDialog:
    def __init__(
        self,
        conversation: Any,  # ConversationService (duck-typed: async handle(...))
        session_id: str,
        store: Store | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        call_id: str = "",
    ) -> None:
        self.inner = conversation
        self.session_id = session_id
        self.call_id = call_id or session_id
        self.store = store
        self.max_chars = max_chars
        self.said: list[str] = []  # what the caller said (transcripts), oldest first
        self.tried: list[str] = []  # faq_ids answered, each once
        self.candidates: list[dict[str, Any]] = []  # the latest ranked candidates
        self.awaiting_feedback = False
        self.degraded_answer: str | None = None  # faq_id of a degraded answer awaiting feedback
        self.choices = 0  # numbered choices on offer
        self.awaiting: str | None = None  # the work-order detail the dialog is asking for
        self.keyed = ""  # digits typed for a phone number

    # -- keys -----------------------------------------------------------------------------

    def key_text(self, digit: str) -> str | None:
        """The words a key stands for here, or None when it means nothing now."""
        if self.awaiting and "phone" in self.awaiting:
            if digit.isdigit():
                self.keyed += digit
            mobile = len(self.keyed) == MOBILE_DIGITS and self.keyed.startswith("1")
            if digit == PHONE_KEYS_END or mobile or len(self.keyed) >= MAX_PHONE_DIGITS:
                typed, self.keyed = self.keyed, ""
                return typed or None
            return None
        if self.awaiting_feedback and digit in ("1", "2"):
            return YES if digit == "1" else NO
        if self.choices and digit.isdigit() and 1 <= int(digit) <= self.choices:
            return f"第{digit}个"
        return None

    # -- the conversation -----------------------------------------------------------------

    async def handle(
        self,
        session_id: str,
        text: str,
        channel: Channel = Channel.PHONE,
        asr_confidence: float | None = None,
    ) -> Any:
        if text not in (YES, NO) and not text.startswith("第"):
            self.said.append(text)
        local = await self._degraded_feedback(text, channel, asr_confidence)
        if local is not None:
            return local
        reply = await self.inner.handle(session_id, text, channel, asr_confidence=asr_confidence)
        self._note(reply)
        return self._for_phone(reply)

    def _note(self, reply: Any) -> None:
        decision = reply.decision
        if decision == "answer" and reply.faq_id and reply.faq_id not in self.tried:
            self.tried.append(reply.faq_id)
        if reply.candidates:
            self.candidates = [{"faq_id": c.faq_id, "score": c.score} for c in reply.candidates]
        self.awaiting_feedback = decision == "answer"
        self.degraded_answer = reply.faq_id if decision == "answer" and reply.degraded else None
        buttons = sum(len(m.buttons) for m in reply.messages)
        self.choices = min(buttons, 9) if decision == "clarify" else 0
        self.awaiting = reply.awaiting
        self.keyed = ""

    def _for_phone(self, reply: Any) -> Any:
        messages: list[BotMessage] = []
        asked = False
        for message in reply.messages:
            if "有帮助吗" in message.text:
                messages.append(BotMessage(FEEDBACK_PROMPT, message.buttons))
                asked = True
            elif reply.decision == "clarify":
                messages.append(message)  # every choice is read out: nothing is cut
            else:
                messages.append(BotMessage(self._spoken(message.text), message.buttons))
        if reply.decision == "answer" and not asked:
            messages.append(BotMessage(FEEDBACK_PROMPT, FEEDBACK_BUTTONS))
        if reply.decision == "clarify":
            messages.append(BotMessage(CLARIFY_KEYS))
        return replace(reply, messages=tuple(messages))

    def _spoken(self, text: str) -> str:
        cleaned, replaced = clean(text)
        body = shorten(cleaned, self.max_chars) if len(cleaned) > self.max_chars else cleaned
        return body + LONG_ANSWER_NOTE if replaced or body != cleaned else text

    # -- feedback while rasa is down -------------------------------------------------------

    async def _degraded_feedback(
        self, text: str, channel: Channel, asr_confidence: float | None
    ) -> Any:
        if self.degraded_answer is None or not self.awaiting_feedback:
            return None
        words = _words(text)
        if words not in _YES_WORDS and words not in _NO_WORDS:
            return None
        from bot.gateway.conversation import ChatReply

        faq_id = self.degraded_answer
        self.awaiting_feedback, self.degraded_answer = False, None
        helped = words in _YES_WORDS
        # Kept per answer: a later hand-over in this call does not erase it.
        await self._write("record_feedback",
                          lambda s: s.record_feedback(self.session_id, faq_id, helped))
        if helped:
            await self._write("end_session", lambda s: s.end_session(
                self.session_id, Outcome.DEFLECTED, confirmed=True, faq_id=faq_id))
            reply = ChatReply(self.session_id, (BotMessage(HELPED),), "reply", faq_id,
                              outcome=Outcome.DEFLECTED.value, degraded=True)
        else:
            summary = self.summary(TransferReason.NEGATIVE_FEEDBACK, "feedback")
            await self.record_handover(TransferReason.NEGATIVE_FEEDBACK, summary)
            reply = ChatReply(self.session_id, (BotMessage(HANDOVER),), "handover", None,
                              outcome=Outcome.TRANSFERRED.value, degraded=True)
        turn = Turn(self.session_id, channel, text, datetime.now(UTC), intent="feedback",
                    decision=reply.decision, faq_id=faq_id, reply=reply.messages[0].text,
                    asr_confidence=asr_confidence)
        await self._write("record_turn", lambda s: s.record_turn(turn))
        return reply

    # -- hand-over ------------------------------------------------------------------------

    def summary(self, reason: TransferReason, trigger: str) -> dict[str, Any]:
        """What the agent reads first: the shape of actions/handover.build_summary
        (question, tried, candidates, reason, transcript) plus the call id and what set the
        hand-over off (dtmf_0, asr_failed, tts_failed, no_input, feedback)."""
        return {
            "question": self.said[0] if self.said else "",
            "tried": list(self.tried),
            "candidates": [dict(c) for c in self.candidates],
            "reason": reason.value,
            "transcript": self.said[-10:],
            "call_id": self.call_id,
            "trigger": trigger,
        }

    async def record_handover(self, reason: TransferReason, summary: dict[str, Any]) -> None:
        await self._write("record_handover",
                          lambda s: s.record_handover(self.session_id, reason, summary))

    async def _write(self, op: str, work: Any) -> None:
        """A store write; a failing store is logged and the call goes on."""
        if self.store is None:
            return
        try:
            await asyncio.to_thread(work, self.store)
        except Exception:  # noqa: BLE001
            log.exception("could not %s for call session %s", op, self.session_id)
