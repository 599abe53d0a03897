"""Fakes for the telephony flow tests: a CallControl that "plays" in real time, a
synthesizer of tones, and a harness that builds a CallBot over the real VoiceService,
ConversationService and SqlStore with the energy-triggered fake recognizer (no models)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.gateway.conversation import ConversationService
from bot.store.sql import SqlStore
from bot.telephony.config import TelephonySettings
from bot.telephony.flow import CallBot
from bot.voice.base import Audio, Transcript
from bot.voice.fake import EnergyTranscriber
from bot.voice.service import VoiceService

RATE = 8000
CALL_ID = "40325ec2-5efd-4bd3-805f-53576e581d13"
QUESTION = "身份证丢了怎么补办"
ANSWER = "携带户口簿到户籍所在地派出所申请补领。"
MS_PER_CHAR = 10  # the fake synthesizer: 10 ms of tone per character


def tone(seconds: float, rate: int = RATE, freq: float = 300.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq * t) * 0.3 * 32767).astype("<i2").tobytes()


def silence(seconds: float, rate: int = RATE) -> bytes:
    return b"\x00\x00" * int(seconds * rate)


def frames(pcm: bytes, size: int = 320) -> list[bytes]:
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


class FakeSynth:
    name = "fake"

    def __init__(self, fail_after: int | None = None, ms_per_char: int = MS_PER_CHAR) -> None:
        self.said: list[str] = []
        self.fail_after = fail_after  # synthesize this many texts, then fail
        self.ms_per_char = ms_per_char

    def synthesize(self, text: str) -> Audio:
        if self.fail_after is not None and len(self.said) >= self.fail_after:
            raise RuntimeError("espeak-ng vanished")
        self.said.append(text)
        return Audio(tone(len(text) * self.ms_per_char / 1000, 16000, 200.0))


@dataclass
class FakeControl:
    """Plays what it is given in real time (pending = queued minus elapsed)."""

    call_id: str = CALL_ID
    caller: str = "13800138000"
    transfer_ok: bool = True
    played: list[bytes] = field(default_factory=list)
    stops: int = 0
    transfers: list[str] = field(default_factory=list)
    hangups: int = 0
    _ends_at: float = 0.0

    def play(self, pcm: bytes) -> None:
        self.played.append(pcm)
        self._ends_at = max(time.monotonic(), self._ends_at) + len(pcm) / 2 / RATE

    def stop_playback(self) -> None:
        self.stops += 1
        self._ends_at = 0.0

    def playback_pending_s(self) -> float:
        return max(0.0, self._ends_at - time.monotonic())

    async def transfer(self, target: str) -> bool:
        self.transfers.append(target)
        return self.transfer_ok

    async def hangup(self) -> None:
        self.hangups += 1


class FailingRecognizer:
    speech_active = False

    def accept(self, pcm: bytes) -> list[Transcript]:
        raise RuntimeError("whisper crashed")

    def finish(self) -> Transcript | None:
        return None


class FailingTranscriber(EnergyTranscriber):
    def stream(self) -> Any:
        return FailingRecognizer()


class Harness:
    """A CallBot over real services; `call()` answers one call on a FakeControl."""

    def __init__(
        self,
        tmp: Path,
        engine: Any,
        rasa: Any = None,
        transcriber: Any = None,
        synth: Any = None,
        max_calls: int = 4,
        **bot_kw: Any,
    ) -> None:
        self.store = SqlStore(f"sqlite:///{tmp / 'bot.db'}")
        self.conversation = ConversationService(rasa, engine, self.store, 2000)
        self.synth = synth or FakeSynth()
        self.voice = VoiceService(
            self.conversation,
            transcriber or EnergyTranscriber(text=QUESTION, partials=False),
            self.synth,
            self.store,
        )
        settings = TelephonySettings(max_calls=max_calls, agent_uri="sip:queue@10.0.0.5")
        self.bot = CallBot(self.voice, settings, self.store, **bot_kw)

    async def call(self, control: FakeControl | None = None) -> tuple[FakeControl, Any]:
        control = control or FakeControl()
        handler = await self.bot.accept(control)
        return control, handler

    def close(self) -> None:
        self.store.close()


async def speak(handler: Any, speech_s: float = 0.6, pause_s: float = 0.7) -> None:
    """An utterance, fed as fast as the handler takes it."""
    for frame in frames(tone(speech_s) + silence(pause_s)):
        await handler.on_audio(frame)


async def until(predicate: Any, timeout_s: float = 20.0) -> None:
    """Poll; generous, because the first resampling imports scipy (seconds on a busy box)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the call to get there")
        await asyncio.sleep(0.01)
