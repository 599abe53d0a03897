"""One caller's voice conversation, independent of the channel that carries the audio.

Audio in (16 kHz PCM chunks) goes to this call's own StreamingRecognizer; each final
transcript is one dialog turn through the ConversationService (the same dialogs, FAQ engine
and deflection log as chat, channel `voice` or `phone`), and the reply is shortened for
speech and synthesized. Events come out as an async stream, in order, as soon as each is
ready (the final transcript before the dialog has answered).

Barge-in: while reply audio is playing, a caller who starts speaking (the recognizer's
`speech_active`, or any partial/final text) gets a StopPlaybackEvent and the rest of that
reply is dropped. Playing means, for a channel that plays the audio itself (WebSocket
client), the audio's duration since it was handed out (or until `playback_done()`); for a
channel that paces frames out itself (telephone), what is left in `take_playback()`.

Nothing a caller sends can crash a session: recognizer, dialog and synthesizer failures
become ErrorEvents and spoken apologies, and an utterance with nothing intelligible in it
becomes a "did not hear you" turn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from bot.store.base import Channel, Store, Turn
from bot.voice.base import SAMPLE_RATE, StreamingRecognizer, Synthesizer, Transcript
from bot.voice.events import (
    AudioEvent,
    ErrorEvent,
    FinalEvent,
    PartialEvent,
    ReplyEvent,
    StopPlaybackEvent,
    VoiceEvent,
)
from bot.voice.speech_text import DEFAULT_MAX_CHARS, prepare_reply

log = logging.getLogger(__name__)

GREETING = "您好，这里是海川市12345政务服务热线智能客服，请问有什么可以帮您？"
DID_NOT_HEAR = "抱歉，我没有听清，请再说一遍。"
DID_NOT_HEAR_AGAIN = "抱歉，我还是没有听清。请您靠近话筒再说一遍，或者说“转人工”。"
DIALOG_FAILED = "抱歉，系统暂时出现问题，请稍后再说一遍，或者说“转人工”。"
ASR_FAILED = "语音识别暂时出现问题，请稍后再试。"
TTS_FAILED = "语音合成暂时出现问题，请看文字回复。"
# Sounds a caller makes that are no question: such an utterance alone is "did not hear".
_FILLERS = set("嗯啊呃额哦噢唔哎诶欸呀哈喂")
# Speech this long that ends without any transcript was unintelligible, not a cough.
MIN_UNHEARD_SPEECH_S = 0.6


def is_meaningless(text: str) -> bool:
    said = [ch for ch in text if ch.isalnum()]
    return not said or all(ch in _FILLERS for ch in said)


class VoiceSession:
    def __init__(
        self,
        session_id: str,
        recognizer: StreamingRecognizer,
        conversation: Any,  # ConversationService (duck-typed: async handle(...))
        synthesizer: Synthesizer | None = None,
        *,
        channel: Channel = Channel.VOICE,
        store: Store | None = None,
        speech_max_chars: int = DEFAULT_MAX_CHARS,
        paced: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session_id = session_id
        self.recognizer = recognizer
        self.conversation = conversation
        self.synthesizer = synthesizer
        self.channel = channel
        self.store = store
        self.speech_max_chars = speech_max_chars
        self.paced = paced
        self._clock = clock
        self._odd = b""  # half a sample left over from a chunk of odd length
        self._playing_until = 0.0
        self._outgoing = bytearray()  # paced channels: reply audio not yet sent
        self._speech_bytes = 0  # audio fed while the recognizer heard speech
        self._final_in_speech = False
        self._unheard = 0  # "did not hear you" turns in a row
        self._asr_failing = False
        self.turns = 0

    # -- playback -------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        if self.paced:
            return bool(self._outgoing)
        return self._clock() < self._playing_until

    def playback_done(self) -> None:
        """The channel finished (or stopped) playing everything it was given."""
        self._playing_until = 0.0
        self._outgoing.clear()

    def take_playback(self, max_bytes: int) -> bytes:
        """Paced channels: the next reply audio to send (b"" when there is none)."""
        chunk = bytes(self._outgoing[:max_bytes])
        del self._outgoing[:max_bytes]
        return chunk

    def _start_playback(self, seconds: float, pcm: bytes) -> None:
        if self.paced:
            self._outgoing += pcm
        else:
            self._playing_until = max(self._clock(), self._playing_until) + seconds

    # -- audio in -------------------------------------------------------------------------

    async def feed(self, pcm: bytes) -> AsyncIterator[VoiceEvent]:
        """Feed 16 kHz mono int16 PCM of any length; yields what it caused."""
        data = self._odd + pcm
        self._odd = data[len(data) - len(data) % 2 :]
        data = data[: len(data) - len(data) % 2]
        if not data:
            return
        try:
            results = await asyncio.to_thread(self.recognizer.accept, data)
        except Exception as err:  # noqa: BLE001 - a recognizer failure must not end the call
            for event in self._asr_failed(err):
                yield event
            return
        self._asr_failing = False
        async for event in self._results(results, len(data)):
            yield event

    async def finish(self) -> AsyncIterator[VoiceEvent]:
        """The caller hung up or stopped sending: the last utterance, if any."""
        try:
            last = await asyncio.to_thread(self.recognizer.finish)
        except Exception as err:  # noqa: BLE001
            for event in self._asr_failed(err):
                yield event
            return
        if last is None:
            self._speech_bytes = 0  # noise as the caller hangs up: no "did not hear" then
            return
        async for event in self._results([last], 0):
            yield event

    def _asr_failed(self, err: Exception) -> list[VoiceEvent]:
        log.warning("recognizer failed in session %s: %s", self.session_id, err, exc_info=True)
        if self._asr_failing:  # one error message per failure streak, not one per chunk
            return []
        self._asr_failing = True
        return [ErrorEvent("asr_failed", ASR_FAILED, {"error": str(err)[:200]})]

    async def _results(self, results: list[Transcript], fed: int) -> AsyncIterator[VoiceEvent]:
        active = bool(getattr(self.recognizer, "speech_active", False))
        heard = any(r.text.strip() for r in results)
        if self.playing and (active or heard):
            self.playback_done()
            yield StopPlaybackEvent()
        for result in results:
            if not result.is_final:
                if result.text.strip():
                    yield PartialEvent(result.text.strip())
                continue
            self._final_in_speech = True
            async for event in self._final(result):
                yield event
        if active:
            self._speech_bytes += fed
            return
        if (
            self._speech_bytes
            and not self._final_in_speech
            and self._speech_bytes / 2 / SAMPLE_RATE >= MIN_UNHEARD_SPEECH_S
        ):
            async for event in self._did_not_hear(None):  # speech that gave no transcript
                yield event
        self._speech_bytes = 0
        self._final_in_speech = False

    # -- turns ----------------------------------------------------------------------------

    async def _final(self, result: Transcript) -> AsyncIterator[VoiceEvent]:
        # U+FFFD: a decoder cut inside a multi-byte character; never worth saying back.
        text = result.text.replace("\ufffd", "").strip()
        yield FinalEvent(text, result.confidence, result.engine)
        if is_meaningless(text):
            async for event in self._did_not_hear(result):
                yield event
            return
        self._unheard = 0
        async for event in self.say(text, asr_confidence=result.confidence):
            yield event

    async def say(
        self, text: str, asr_confidence: float | None = None
    ) -> AsyncIterator[VoiceEvent]:
        """One citizen turn: a final transcript, or text the channel sends (a button)."""
        self.turns += 1
        try:
            reply = await self.conversation.handle(
                self.session_id, text, self.channel, asr_confidence=asr_confidence
            )
        except Exception as err:  # noqa: BLE001 - the caller hears an apology, not silence
            log.exception("dialog failed in session %s", self.session_id)
            yield ErrorEvent("dialog_failed", DIALOG_FAILED, {"error": str(err)[:200]})
            async for event in self._speak([DIALOG_FAILED], "error"):
                yield event
            return
        messages = tuple(m.to_dict() for m in reply.messages)
        async for event in self._speak(
            [m["text"] for m in messages],
            reply.decision,
            messages=messages,
            faq_id=reply.faq_id,
            outcome=reply.outcome,
            degraded=reply.degraded,
            latency_ms=reply.latency_ms,
        ):
            yield event

    async def greet(self) -> AsyncIterator[VoiceEvent]:
        async for event in self._speak([GREETING], "greet"):
            yield event

    async def _did_not_hear(self, result: Transcript | None) -> AsyncIterator[VoiceEvent]:
        self._unheard += 1
        text = DID_NOT_HEAR if self._unheard == 1 else DID_NOT_HEAR_AGAIN
        log.info(
            "no intelligible speech in session %s (%d in a row): %r",
            self.session_id,
            self._unheard,
            result.text if result else "",
        )
        await self._record_unheard(result, text)
        async for event in self._speak([text], "no_speech"):
            yield event

    async def _record_unheard(self, result: Transcript | None, reply: str) -> None:
        if self.store is None:
            return
        turn = Turn(
            self.session_id,
            self.channel,
            result.text if result else "",
            datetime.now(UTC),
            intent="no_speech",
            decision="reply",
            reply=reply,
            asr_confidence=result.confidence if result else None,
        )
        try:
            await asyncio.to_thread(self.store.record_turn, turn)
        except Exception:  # the caller still hears the reply
            log.exception("could not record the no-speech turn of session %s", self.session_id)

    async def _speak(
        self, texts: list[str], decision: str, **reply: Any
    ) -> AsyncIterator[VoiceEvent]:
        max_chars = None if decision == "clarify" else self.speech_max_chars  # keep choices
        speech = prepare_reply(texts, max_chars)
        messages = reply.pop("messages", tuple({"text": t, "buttons": []} for t in texts))
        buttons = tuple(b for m in messages for b in m.get("buttons", ()))
        yield ReplyEvent(
            speech.spoken, speech.full_text, decision, buttons, messages, speech.follow_up, **reply
        )
        if self.synthesizer is None or not speech.spoken:
            return
        started = time.perf_counter()
        try:
            audio = await asyncio.to_thread(self.synthesizer.synthesize, speech.spoken)
        except Exception as err:  # noqa: BLE001 - the reply text is already out
            log.warning("synthesis failed in session %s: %s", self.session_id, err)
            yield ErrorEvent("tts_failed", TTS_FAILED, {"error": str(err)[:200]})
            return
        if not audio.pcm:
            return
        self._start_playback(audio.duration_s, audio.pcm)
        yield AudioEvent(audio, (time.perf_counter() - started) * 1000)
