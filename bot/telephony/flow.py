"""The bot's side of phone calls: `CallBot` is the CallAcceptor every adapter (SIP,
AudioSocket) is given. Each answered call becomes a PhoneCall (phone_call.py): its own
recognizer and VoiceSession on the `phone` channel, the same dialogs and FAQ engine as
chat and voice. Above BOT_TELEPHONY_MAX_CALLS, or when speech recognition cannot start, a
call is diverted: a prompt, then the agent queue. The fixed prompts are synthesized once
at warm-up, so a synthesizer failing later still leaves an apology to play.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.store.base import Store
from bot.telephony.call import SAMPLE_RATE, CallControl, CallHandler
from bot.telephony.config import TelephonySettings
from bot.telephony.phone_call import (
    APOLOGY,
    BUSY,
    HANDOVER,
    PROMPTS,
    SESSION_ID,
    STILL_THERE,
    TRANSFER_FAILED,
    PhoneCall,
    drain,
    session_id_for,
    transfer,
)
from bot.telephony.resample import to_phone_rate

__all__ = [
    "APOLOGY", "BUSY", "HANDOVER", "SESSION_ID", "STILL_THERE", "TRANSFER_FAILED",
    "CallBot", "DivertedCall", "PhoneCall", "session_id_for",
]

log = logging.getLogger(__name__)


class CallBot:
    """The CallAcceptor every adapter is given; one per process."""

    def __init__(
        self,
        voice: Any,  # VoiceService: transcriber, synthesizer, conversation, ensure_ready()
        settings: TelephonySettings,
        store: Store | None = None,
        *,
        idle_s: float = 15.0,
        max_idle_prompts: int = 2,
        confirm_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.voice = voice
        self.settings = settings
        self.store = store if store is not None else getattr(voice, "store", None)
        self.idle_s = idle_s
        self.max_idle_prompts = max_idle_prompts
        self.confirm_s = confirm_s  # an energy barge-in the VAD must confirm within this
        self.clock = clock
        self.calls: dict[str, PhoneCall] = {}
        self.busy_calls = 0  # turned away since start, for logs and the benchmark
        self._prompts: dict[str, bytes] = {}

    @property
    def active_calls(self) -> int:
        return len(self.calls)

    def warm_up(self) -> None:
        """Load the recognizer and synthesize the fixed prompts once, so that a synthesizer
        failing later still leaves an apology to play."""
        self.voice.warm_up()
        for text in PROMPTS:
            self._prompts[text] = self._synthesize(text)

    async def prompt(self, text: str) -> bytes:
        """8 kHz PCM of a fixed prompt (b"" when it cannot be synthesized)."""
        if text not in self._prompts:
            pcm = await asyncio.to_thread(self._synthesize, text)
            if not pcm:
                return b""  # not cached: the synthesizer may come back
            self._prompts[text] = pcm
        return self._prompts[text]

    def _synthesize(self, text: str) -> bytes:
        synthesizer = getattr(self.voice, "synthesizer", None)
        if synthesizer is None:
            return b""
        try:
            audio = synthesizer.synthesize(text)
        except Exception as err:  # noqa: BLE001 - a missing prompt is logged, not fatal
            log.warning("could not synthesize the prompt %r: %s", text, err)
            return b""
        return to_phone_rate(audio.pcm, audio.sample_rate)

    async def accept(self, control: CallControl) -> CallHandler:
        if len(self.calls) >= self.settings.max_calls:
            self.busy_calls += 1
            log.warning(
                "call %s from %s: all %d call slots are busy; busy prompt and transfer",
                control.call_id, control.caller, self.settings.max_calls,
            )
            return DivertedCall(self, control, BUSY).start()
        try:
            await self.voice.ensure_ready()
            recognizer = self.voice.transcriber.stream()
        except Exception:
            log.exception("speech recognition cannot start for call %s", control.call_id)
            return DivertedCall(self, control, APOLOGY).start()
        call = PhoneCall(self, control, recognizer)
        self.calls[call.session_id] = call
        log.info("call %s from %s answered as session %s (%d active)",
                 control.call_id, control.caller, call.session_id, len(self.calls))
        return call.start()

    def release(self, call: PhoneCall) -> None:
        self.calls.pop(call.session_id, None)


class DivertedCall:
    """A call the bot does not serve (over the limit, recognizer down): a prompt, then the
    agent queue. Takes no call slot."""

    def __init__(self, bot: CallBot, control: CallControl, text: str) -> None:
        self.bot, self.control, self.text = bot, control, text
        self.task: asyncio.Task[None] | None = None
        self.ended = False

    def start(self) -> DivertedCall:
        self.task = asyncio.create_task(self._run(), name=f"divert-{self.control.call_id}")
        return self

    async def _run(self) -> None:
        pcm = await self.bot.prompt(self.text)
        if pcm:
            self.control.play(pcm)
            await drain(self.control, len(pcm) / 2 / SAMPLE_RATE + 1.0)
        if self.ended:
            return
        if not await transfer(self.control, self.bot.settings.agent_uri) and not self.ended:
            log.error("call %s could not be transferred after %r; hanging up",
                      self.control.call_id, self.text)
            await self.control.hangup()

    async def on_audio(self, pcm: bytes) -> None:
        return None

    async def on_dtmf(self, digit: str) -> None:
        return None

    async def on_hangup(self, reason: str) -> None:
        self.ended = True  # the prompt task sees it; not cancelled mid-transfer
        log.info("diverted call %s ended: %s", self.control.call_id, reason)
