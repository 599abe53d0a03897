"""The voice seams: audio in, a transcriber per call, a synthesizer for answers.

Audio inside the bot is always 16 kHz mono 16-bit little-endian PCM (`PCM16K`); decoders
and telephone adapters convert to it at the edge, and synthesizers produce it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Audio:
    """16 kHz mono int16 PCM."""

    pcm: bytes
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    confidence: float


@dataclass(frozen=True)
class Transcript:
    text: str  # Simplified Chinese, as the dialog should read it
    confidence: float  # 0-1; engines that give none report an estimate and say so in docs
    engine: str  # "vosk" or "whisper"
    duration_s: float  # audio length
    processing_s: float
    words: tuple[Word, ...] = field(default_factory=tuple)
    is_final: bool = True


class StreamingRecognizer(Protocol):
    """One per call: feed PCM chunks, get partial results and final utterances."""

    def accept(self, pcm: bytes) -> list[Transcript]:
        """Feed 16 kHz PCM; returns partial (is_final False) and/or final transcripts that
        this chunk completed (end of speech detected)."""
        ...

    def finish(self) -> Transcript | None:
        """Flush at the end of the stream; the last final transcript, if any speech."""
        ...


class Transcriber(Protocol):
    name: str

    def load(self) -> None: ...

    def transcribe(self, audio: Audio) -> Transcript: ...

    def stream(self) -> StreamingRecognizer: ...


class Synthesizer(Protocol):
    name: str

    def synthesize(self, text: str) -> Audio: ...
