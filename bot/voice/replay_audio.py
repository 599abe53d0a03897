"""Recorded calls through the whole voice path: each audio file is one call, decoded, streamed
through a VoiceSession (this machine's recognizer, the running gateway's dialogs over
HTTP, the synthesizer), then ended as the caller hanging up. Rows are bot.replay's
ReplayRow, so `bot replay`'s summary applies, plus what the audio side measured."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import httpx

from bot.errors import BotError
from bot.replay import ReplayRow
from bot.store.base import Channel
from bot.voice.base import StreamingRecognizer, Synthesizer, Transcriber, Transcript
from bot.voice.events import AudioEvent, ErrorEvent, FinalEvent, ReplyEvent
from bot.voice.remote import RemoteConversation
from bot.voice.session import VoiceSession

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".mp3", ".ogg", ".opus", ".webm", ".m4a", ".pcm", ".raw"}
)
CHUNK_S = 0.1  # fed as fast as the recognizer takes it, in 100 ms pieces like a live call


@dataclass(frozen=True)
class AudioRow:
    file: str
    duration_s: float
    asr_s: float  # recognizer time (accept/finish), the rest is dialog and synthesis
    transcript: str  # every final transcript of the call, " / " between utterances
    asr_confidence: float | None  # mean over the finals
    utterances: int
    reply_audio_s: float
    row: ReplayRow


AUDIO_COLUMNS = (
    "file",
    "duration_s",
    "asr_s",
    "transcript",
    "asr_confidence",
    "utterances",
    "reply_audio_s",
)
COLUMNS = AUDIO_COLUMNS + tuple(f.name for f in fields(ReplayRow))


def audio_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise BotError(
            f"{folder}: not a folder; give a folder of recorded calls (WAV, FLAC, MP3...)"
        )
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
    )
    if not files:
        raise BotError(f"{folder}: holds no audio files ({', '.join(sorted(AUDIO_SUFFIXES))})")
    return files


class _TimedRecognizer:
    """Wraps a call's recognizer to add up the time spent recognizing."""

    def __init__(self, inner: StreamingRecognizer) -> None:
        self.inner = inner
        self.seconds = 0.0

    @property
    def speech_active(self) -> bool:
        return bool(getattr(self.inner, "speech_active", False))

    def accept(self, pcm: bytes) -> list[Transcript]:
        started = time.perf_counter()
        try:
            return self.inner.accept(pcm)
        finally:
            self.seconds += time.perf_counter() - started

    def finish(self) -> Transcript | None:
        started = time.perf_counter()
        try:
            return self.inner.finish()
        finally:
            self.seconds += time.perf_counter() - started


async def replay_call(
    client: httpx.AsyncClient,
    number: int,
    path: Path,
    transcriber: Transcriber,
    synthesizer: Synthesizer | None,
    run_id: str,
    sample_rate: int | None = None,
) -> AudioRow:
    from bot.voice.audio import decode_file

    sid = f"replay-audio-{run_id}-{number}"
    started = time.perf_counter()
    try:
        audio = decode_file(path, sample_rate=sample_rate)
    except BotError as err:
        return _failed(number, path, sid, started, f"cannot decode: {err}")
    conversation = RemoteConversation(client)
    recognizer = _TimedRecognizer(transcriber.stream())
    session = VoiceSession(
        sid,
        recognizer,
        conversation,
        synthesizer,
        channel=Channel.VOICE,
    )
    finals: list[FinalEvent] = []
    replies: list[ReplyEvent] = []
    errors: list[str] = []
    reply_audio_s = 0.0
    step = int(CHUNK_S * audio.sample_rate) * 2

    def note(event: object) -> None:
        nonlocal reply_audio_s
        if isinstance(event, FinalEvent):
            finals.append(event)
        elif isinstance(event, ReplyEvent):
            replies.append(event)
        elif isinstance(event, AudioEvent):
            reply_audio_s += event.audio.duration_s
        elif isinstance(event, ErrorEvent) and event.code != "tts_failed":
            errors.append(f"{event.code}: {event.detail.get('error', event.message)}")

    for offset in range(0, len(audio.pcm), step):
        async for event in session.feed(audio.pcm[offset : offset + step]):
            note(event)
    async for event in session.finish():
        note(event)
    record = await conversation.end(sid) if conversation.replies else {}
    turns = conversation.replies
    first = next((r for r in turns if r.decision != "reply"), turns[0]) if turns else None
    heard = [f for f in finals if f.text]
    top = first.candidates[0] if first and first.candidates else None
    row = ReplayRow(
        row=number,
        input=" / ".join(f.text for f in heard),
        session_id=sid,
        intent=(first.intent or "") if first else "",
        decision=first.decision if first else "no_speech",
        outcome=record.get("outcome") or ("" if turns else "no_speech"),
        reason=record.get("reason") or "",
        faq_id=(first.faq_id or (top.faq_id if top else "")) if first else "",
        score=top.score if top else None,
        latency_ms=round(turns[0].latency_ms, 1) if turns else 0.0,
        turns=len(turns),
        reply=" / ".join(r.full_text for r in replies)[:300],
        error="; ".join(errors)[:200],
    )
    confidences = [f.confidence for f in heard]
    return AudioRow(
        str(path),
        round(audio.duration_s, 2),
        round(recognizer.seconds, 2),
        row.input,
        round(sum(confidences) / len(confidences), 3) if confidences else None,
        len(heard),
        round(reply_audio_s, 2),
        row,
    )


def _failed(number: int, path: Path, sid: str, started: float, error: str) -> AudioRow:
    row = ReplayRow(
        number,
        "",
        sid,
        "",
        "error",
        "",
        "",
        "",
        None,
        round((time.perf_counter() - started) * 1000, 1),
        0,
        "",
        error[:200],
    )
    return AudioRow(str(path), 0.0, 0.0, "", None, 0, 0.0, row)


async def replay_folder(
    base_url: str,
    files: list[Path],
    transcriber: Transcriber,
    synthesizer: Synthesizer | None,
    progress: Callable[[], None] | None = None,
    sample_rate: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout_s: float = 60.0,
) -> list[AudioRow]:
    """One call after another: recognition is the CPU-heavy part, and calls in parallel
    would only fight over the same cores. `transport` replaces the network in tests."""
    run_id = uuid.uuid4().hex[:8]
    rows: list[AudioRow] = []
    async with httpx.AsyncClient(
        base_url=base_url, timeout=timeout_s, transport=transport
    ) as client:
        for number, path in enumerate(files, 1):
            try:
                rows.append(
                    await replay_call(
                        client, number, path, transcriber, synthesizer, run_id, sample_rate
                    )
                )
            except BotError as err:  # the gateway went away mid-call: say so, go on
                rows.append(
                    _failed(
                        number,
                        path,
                        f"replay-audio-{run_id}-{number}",
                        time.perf_counter(),
                        str(err),
                    )
                )
            if progress:
                progress()
    return rows


def audio_summary(rows: list[AudioRow]) -> dict[str, float | int]:
    audio_s = sum(r.duration_s for r in rows)
    asr_s = sum(r.asr_s for r in rows)
    return {
        "files": len(rows),
        "audio_s": round(audio_s, 1),
        "asr_s": round(asr_s, 1),
        "real_time_factor": round(asr_s / audio_s, 3) if audio_s else 0.0,
        "no_speech": sum(1 for r in rows if r.row.decision == "no_speech"),
        "utterances": sum(r.utterances for r in rows),
    }
