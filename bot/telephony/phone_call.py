"""One call the bot serves (the CallHandler): a VoiceSession on the phone channel.

Caller audio (8 kHz) is resampled to 16 kHz and fed to the session in arrival order, with
keys, by one worker task; replies are resampled to 8 kHz and queued at the adapter, which
paces them. Barge-in: caller speech energy stops playback at once (bargein.py), the VAD
confirms it or the prompt resumes; any key stops it too. Key 0 hands over at once; the
dialog's own hand-overs are transferred once their prompt has been said. Recognizer and
synthesizer failures become a (pre-synthesized) apology and a hand-over. The caller
hanging up ends the session as the dialog stood (`conversation.end`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from bot.store.base import Channel, TransferReason
from bot.telephony.bargein import EnergyOnset
from bot.telephony.call import SAMPLE_RATE, CallControl
from bot.telephony.dialog import PhoneDialog
from bot.telephony.resample import Upsampler, to_phone_rate
from bot.voice.events import (
    AudioEvent,
    ErrorEvent,
    FinalEvent,
    PartialEvent,
    ReplyEvent,
    StopPlaybackEvent,
    VoiceEvent,
)
from bot.voice.session import GREETING, VoiceSession
from bot.voice.speech_text import DEFAULT_MAX_CHARS

if TYPE_CHECKING:
    from bot.telephony.flow import CallBot

log = logging.getLogger(__name__)

BUSY = "您好，当前来电较多，正在为您转接人工客服，请稍候。"
HANDOVER = "好的，正在为您转接人工客服，请稍候。"
APOLOGY = "抱歉，智能客服暂时出现问题，正在为您转接人工客服，请稍候。"
TRANSFER_FAILED = "抱歉，人工客服暂时无法接通。您可以继续向我提问，或者稍后再拨。"
STILL_THERE = "您还在吗？请说出您要咨询的问题，转人工请按0。"
PROMPTS = (GREETING, BUSY, HANDOVER, APOLOGY, TRANSFER_FAILED, STILL_THERE)
SESSION_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")  # what GET /api/sessions/{id} accepts
MAX_BACKLOG_S = 60.0  # caller audio waiting for a slow recognizer before the oldest is dropped
RESUME_BACK_S = 0.3  # a prompt cut by a noise resumes this much before the cut
DRAIN_POLL_S = 0.02


def session_id_for(call_id: str) -> str:
    """The store/dialog session id of a call: the call id itself when the agent desk's
    GET /api/sessions/{id} accepts it (AudioSocket UUIDs do), else a stable cleaned form
    (SIP Call-IDs often hold '@')."""
    if SESSION_ID.match(call_id):
        return call_id
    digest = hashlib.sha256(call_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    cleaned = re.sub(r"[^A-Za-z0-9_.:\-]+", "_", call_id).strip("_")[:100]
    return f"{cleaned}-{digest}" if cleaned else f"call-{digest}"


async def drain(control: CallControl, limit_s: float) -> None:
    """Wait until the adapter has played everything queued (at most `limit_s`)."""
    deadline = time.monotonic() + max(0.0, limit_s)
    while control.playback_pending_s() > 0 and time.monotonic() < deadline:
        await asyncio.sleep(DRAIN_POLL_S)


async def transfer(control: CallControl, target: str) -> bool:
    try:
        return bool(await control.transfer(target))
    except Exception:  # noqa: BLE001 - a failed REFER is a spoken apology, not a crash
        log.exception("transfer of call %s to %s failed", control.call_id, target)
        return False


class PhoneCall:
    """One served call: the CallHandler the adapter feeds."""

    def __init__(self, bot: CallBot, control: CallControl, recognizer: Any) -> None:
        self.bot = bot
        self.control = control
        self.session_id = session_id_for(control.call_id)
        self.recognizer = recognizer
        max_chars = getattr(bot.voice, "speech_max_chars", DEFAULT_MAX_CHARS)
        self.dialog = PhoneDialog(
            bot.voice.conversation, self.session_id, bot.store, max_chars, control.call_id
        )
        self.session = VoiceSession(
            self.session_id,
            recognizer,
            self.dialog,
            getattr(bot.voice, "synthesizer", None),
            channel=Channel.PHONE,
            store=bot.store,
            # The dialog layer has already cut long answers and added its own note; room
            # for that note, so the session does not cut again and promise an SMS.
            speech_max_chars=max_chars + 60,
            paced=True,
        )
        self.upsampler = Upsampler()
        self.onset = EnergyOnset() if bot.settings.barge_in == "energy" else None
        self.spoken = bytearray()  # the 8 kHz audio queued since the bot last fell silent
        self.resume: tuple[bytes, float] | None = None  # (rest of a cut prompt, deadline)
        # Caller audio and keys, in arrival order, for the call's one worker (a VoiceSession
        # takes one thing at a time); a deque so that queued audio can be fed in one piece.
        self.inbox: deque[tuple[str, bytes]] = deque()
        self.backlog_bytes = 0
        self._wake = asyncio.Event()
        self.transferring = False
        self.transferred = False
        self.ended = False
        self.pending_handover = False
        self.last_activity = bot.clock()
        self.idle_prompts = 0
        self._worker: asyncio.Task[None] | None = None
        self._handover: asyncio.Task[None] | None = None

    def start(self) -> PhoneCall:
        self._worker = asyncio.create_task(self._greet_and_work(), name=self.session_id)
        return self

    # -- adapter callbacks ---------------------------------------------------------------

    async def on_audio(self, pcm: bytes) -> None:
        if self.ended or self.transferring or not pcm:
            return
        if self.onset is not None and self.onset.feed(pcm) and self.playing():
            self._provisional_stop()
        data = self.upsampler.process(pcm)
        self.backlog_bytes += len(data)
        self._put("audio", data)
        if self.backlog_bytes > MAX_BACKLOG_S * 32000 and self.inbox[0][0] == "audio":
            self.backlog_bytes -= len(self.inbox.popleft()[1])  # far behind: drop the oldest
            log.warning("call %s: recognizer over %.0f s behind; dropping the oldest audio",
                        self.session_id, MAX_BACKLOG_S)

    def _put(self, kind: str, item: bytes) -> None:
        self.inbox.append((kind, item))
        self._wake.set()

    async def on_dtmf(self, digit: str) -> None:
        if self.ended or self.transferring:
            return
        log.info("call %s: key %s", self.session_id, digit)
        self.last_activity = self.bot.clock()
        self.resume = None
        self.stop_playback()  # a key press interrupts the bot like speech does
        if digit == "0":  # at once, not behind a turn the worker may still be waiting on
            self._handover = asyncio.create_task(
                self.hand_over(TransferReason.CITIZEN_REQUEST, "dtmf_0", HANDOVER),
                name=f"{self.session_id}-handover",
            )
            return
        self._put("dtmf", digit.encode("ascii", "replace"))

    async def on_hangup(self, reason: str) -> None:
        if self.ended:
            return
        self.ended = True
        log.info("call %s ended: %s", self.session_id, reason)
        # The worker stops here; a hand-over under way is left to finish by itself (it
        # checks `ended`): cancelling it could cut into the adapter's own transfer().
        if self._worker is not None and self._worker is not asyncio.current_task():
            self._worker.cancel()
        self.bot.release(self)
        try:
            outcome = await self.bot.voice.conversation.end(self.session_id)
            log.info("session %s closed as %s", self.session_id, outcome)
        except Exception:  # noqa: BLE001 - a hang-up must not fail on the store
            log.exception("could not close session %s", self.session_id)

    # -- playback -------------------------------------------------------------------------

    def playing(self) -> bool:
        return self.control.playback_pending_s() > 0

    def stop_playback(self) -> None:
        if self.playing():
            self.control.stop_playback()
        self.session.playback_done()

    def play(self, pcm8k: bytes) -> None:
        if not pcm8k or self.ended:
            return
        if not self.playing():
            self.spoken = bytearray()
        self.spoken += pcm8k
        self.resume = None
        self.control.play(pcm8k)

    def _provisional_stop(self) -> None:
        """Energy barge-in: stop now, keep the rest in case it was only a noise."""
        keep = int((self.control.playback_pending_s() + RESUME_BACK_S) * SAMPLE_RATE) * 2
        rest = bytes(self.spoken[max(0, len(self.spoken) - keep) :])
        self.stop_playback()
        self.last_activity = self.bot.clock()
        self.resume = (rest, self.bot.clock() + self.bot.confirm_s) if rest else None

    def _confirmed(self) -> None:
        """The recognizer hears speech: a barge-in for good, nothing to resume."""
        self.resume = None
        self.stop_playback()

    # -- the call's worker: greeting, then audio and keys in order -----------------------

    async def _greet_and_work(self) -> None:
        await self._start_session()
        self.play(await self.bot.prompt(GREETING))
        while not self.ended:
            while not self.inbox:
                self._wake.clear()
                await self._wake.wait()
            kind, item = self.inbox.popleft()
            if kind == "dtmf":
                await self._relay(self._key(item.decode("ascii")))
                await self._after_turn()
                continue
            data = bytearray(item)
            while self.inbox and self.inbox[0][0] == "audio":
                data += self.inbox.popleft()[1]
            self.backlog_bytes = max(0, self.backlog_bytes - len(data))
            if self.transferring:
                continue
            await self._relay(self.session.feed(bytes(data)))
            if getattr(self.recognizer, "speech_active", False) and not self.transferring:
                self.last_activity = self.bot.clock()
                self._confirmed()  # barge-in: the caller talks over the bot
            await self._after_turn()

    async def _start_session(self) -> None:
        store = self.bot.store
        if store is None:
            return
        try:  # every answered call is in the log, also one hung up during the greeting
            await asyncio.to_thread(store.start_session, self.session_id, Channel.PHONE)
        except Exception:  # noqa: BLE001
            log.exception("could not start session %s in the store", self.session_id)

    async def _key(self, digit: str) -> AsyncIterator[VoiceEvent]:
        text = self.dialog.key_text(digit)
        if text is None:
            log.info("call %s: key %s means nothing here", self.session_id, digit)
            return
        async for event in self.session.say(text):
            yield event

    async def _relay(self, events: AsyncIterator[VoiceEvent]) -> None:
        async for event in events:
            await self._on_event(event)

    async def _on_event(self, event: VoiceEvent) -> None:
        if isinstance(event, StopPlaybackEvent):
            self.stop_playback()
        elif isinstance(event, PartialEvent | FinalEvent):
            self.last_activity = self.bot.clock()
            if not self.transferring:
                self._confirmed()
        elif isinstance(event, ReplyEvent):
            self.last_activity = self.bot.clock()
            self.idle_prompts = 0
            if event.decision == "handover" or event.outcome == "transferred":
                self.pending_handover = True  # the dialog recorded it; transfer once said
        elif isinstance(event, AudioEvent):
            pcm = self.session.take_playback(len(event.audio.pcm))
            if not self.transferring:  # key 0 came while this turn was on its way
                self.play(to_phone_rate(pcm, event.audio.sample_rate))
        elif isinstance(event, ErrorEvent):
            log.warning("call %s: %s (%s)", self.session_id, event.code, event.detail)
            if event.code in ("asr_failed", "tts_failed"):
                # The caller can no longer be heard or answered: a human takes over.
                self.pending_handover = False
                await self.hand_over(TransferReason.REPEATED_FAILURE, event.code, APOLOGY)

    async def _after_turn(self) -> None:
        if self.resume is not None and self.bot.clock() >= self.resume[1]:
            rest, self.resume = self.resume[0], None
            if not self.transferring:
                log.info("call %s: no speech after the noise; resuming the prompt",
                         self.session_id)
                self.play(rest)
        if self.pending_handover and not self.transferring:
            self.pending_handover = False
            await self.hand_over(TransferReason.CITIZEN_REQUEST, "dialog", None, record=False)
            return
        if self.playing() or self.transferring:
            self.last_activity = self.bot.clock()
            return
        if self.bot.clock() - self.last_activity < self.bot.idle_s:
            return
        self.last_activity = self.bot.clock()
        self.idle_prompts += 1
        if self.idle_prompts > self.bot.max_idle_prompts:
            await self.hand_over(TransferReason.REPEATED_FAILURE, "no_input", HANDOVER)
        else:
            self.play(await self.bot.prompt(STILL_THERE))

    # -- hand-over ------------------------------------------------------------------------

    async def hand_over(
        self, reason: TransferReason, trigger: str, text: str | None, *, record: bool = True
    ) -> None:
        """Record the context (unless the dialog did), say `text`, transfer to the agents."""
        if self.transferring or self.ended:
            return
        self.transferring = True
        if record:
            self.stop_playback()
            await self.dialog.record_handover(reason, self.dialog.summary(reason, trigger))
        if text is not None:
            self.play(await self.bot.prompt(text))
        await drain(self.control, self.control.playback_pending_s() + 1.0)
        if self.ended:
            return
        if await transfer(self.control, self.bot.settings.agent_uri):
            self.transferred = True
            log.info("call %s transferred to %s (%s)", self.session_id,
                     self.bot.settings.agent_uri, trigger)
            return
        if not self.ended:  # the agents' side refused (REFER not allowed, queue down)
            self.transferring = False
            self.play(await self.bot.prompt(TRANSFER_FAILED))
