"""What a voice session tells its channel (WebSocket, telephone adapter): transcripts, the
bot's reply (text and audio), barge-in, errors. Channel-neutral; each channel turns them
into its own protocol messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.voice.base import Audio


@dataclass(frozen=True)
class PartialEvent:
    text: str  # what the caller has said so far in this utterance


@dataclass(frozen=True)
class FinalEvent:
    text: str
    confidence: float
    engine: str = ""


@dataclass(frozen=True)
class ReplyEvent:
    text: str  # what is spoken (shortened, numbers in words)
    full_text: str  # the whole written reply: shown on screen / sent as the SMS follow-up
    decision: str  # answer, clarify, handover, work_order, reply, greet, no_speech, error
    buttons: tuple[dict[str, str], ...] = ()
    messages: tuple[dict[str, Any], ...] = ()  # the written messages, {"text", "buttons"}
    follow_up: bool = False  # the spoken text left something out: send full_text
    faq_id: str | None = None
    outcome: str | None = None
    degraded: bool = False
    latency_ms: float = 0.0  # final transcript -> reply text (dialog and FAQ engine)


@dataclass(frozen=True)
class AudioEvent:
    audio: Audio  # the reply, 16 kHz mono PCM
    synthesis_ms: float = 0.0


@dataclass(frozen=True)
class StopPlaybackEvent:
    """The caller started speaking over the bot: stop the reply now (barge-in)."""


@dataclass(frozen=True)
class ErrorEvent:
    code: str  # asr_failed, tts_failed, dialog_failed
    message: str  # Simplified Chinese, safe to show a caller
    detail: dict[str, Any] = field(default_factory=dict)


VoiceEvent = PartialEvent | FinalEvent | ReplyEvent | AudioEvent | StopPlaybackEvent | ErrorEvent
