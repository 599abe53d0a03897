"""VoiceSession: transcripts -> dialog turns -> spoken replies, barge-in, "did not hear you",
failures, with a scripted recognizer, conversation and synthesizer (no models)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.gateway.conversation import ChatReply, ConversationService
from bot.gateway.rasa_client import BotMessage
from bot.store.base import Channel
from bot.store.sql import SqlStore
from bot.voice.base import SAMPLE_RATE, Audio, Transcript
from bot.voice.events import (
    AudioEvent,
    ErrorEvent,
    FinalEvent,
    PartialEvent,
    ReplyEvent,
    StopPlaybackEvent,
    VoiceEvent,
)
from bot.voice.fake import EnergyTranscriber
from bot.voice.session import DID_NOT_HEAR, DID_NOT_HEAR_AGAIN, GREETING, VoiceSession
from bot.voice.speech_text import SMS_NOTE

QUESTION = "身份证丢了怎么补办"
ANSWER = "携带户口簿到户籍所在地派出所申请补领。"
CHUNK = b"\x00\x00" * 320  # 20 ms


def final(text: str, confidence: float = 0.8) -> Transcript:
    return Transcript(text, confidence, "scripted", 1.0, 0.1)


def partial(text: str) -> Transcript:
    return Transcript(text, 0.5, "scripted", 0.5, 0.05, is_final=False)


class ScriptedRecognizer:
    """Each accept() takes the next step: (speech_active, results) or an exception."""

    def __init__(self, *steps: Any, last: Transcript | None = None) -> None:
        self.steps = list(steps)
        self.fed: list[bytes] = []
        self.speech_active = False
        self.last = last

    def accept(self, pcm: bytes) -> list[Transcript]:
        self.fed.append(pcm)
        step = self.steps.pop(0) if self.steps else (False, [])
        if isinstance(step, Exception):
            raise step
        self.speech_active, results = step
        return list(results)

    def finish(self) -> Transcript | None:
        return self.last


class FakeConversation:
    def __init__(self, replies: dict[str, ChatReply] | None = None, fail: bool = False) -> None:
        self.replies = replies or {}
        self.fail = fail
        self.calls: list[tuple[str, str, Channel, float | None]] = []

    async def handle(
        self,
        session_id: str,
        text: str,
        channel: Channel = Channel.CHAT,
        asr_confidence: float | None = None,
    ) -> ChatReply:
        self.calls.append((session_id, text, channel, asr_confidence))
        if self.fail:
            raise RuntimeError("engine exploded")
        return self.replies.get(text) or ChatReply(
            session_id, (BotMessage(ANSWER),), "answer", "SFZ001"
        )


class FakeSynth:
    name = "fake"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.said: list[str] = []

    def synthesize(self, text: str) -> Audio:
        if self.fail:
            raise RuntimeError("espeak-ng missing")
        self.said.append(text)
        return Audio(b"\x01\x00" * 1600 * len(text))  # 0.1 s a character


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def collect(stream: AsyncIterator[VoiceEvent]) -> list[VoiceEvent]:
    async def run() -> list[VoiceEvent]:
        return [event async for event in stream]

    return asyncio.run(run())


def kinds(events: list[VoiceEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def session(
    recognizer: Any, conversation: Any = None, synth: Any = None, **kw: Any
) -> VoiceSession:
    return VoiceSession(
        "call-1",
        recognizer,
        conversation or FakeConversation(),
        FakeSynth() if synth is None else synth,
        **kw,
    )


def test_a_final_transcript_is_a_turn_with_a_spoken_reply() -> None:
    conversation = FakeConversation()
    s = session(ScriptedRecognizer((False, [final(QUESTION, 0.83)])), conversation)
    events = collect(s.feed(CHUNK))
    assert kinds(events) == ["FinalEvent", "ReplyEvent", "AudioEvent"]
    assert events[0] == FinalEvent(QUESTION, 0.83, "scripted")
    assert conversation.calls == [("call-1", QUESTION, Channel.VOICE, 0.83)]
    reply = events[1]
    assert isinstance(reply, ReplyEvent)
    assert (reply.text, reply.full_text, reply.decision, reply.faq_id) == (
        ANSWER,
        ANSWER,
        "answer",
        "SFZ001",
    )
    audio = events[2]
    assert isinstance(audio, AudioEvent) and audio.audio.duration_s == pytest.approx(
        0.1 * len(ANSWER)
    )


def test_the_channel_is_passed_through() -> None:
    conversation = FakeConversation()
    collect(
        session(
            ScriptedRecognizer((False, [final(QUESTION)])), conversation, channel=Channel.PHONE
        ).feed(CHUNK)
    )
    assert conversation.calls[0][2] is Channel.PHONE


def test_partials_are_passed_on() -> None:
    events = collect(session(ScriptedRecognizer((True, [partial("身份证")]))).feed(CHUNK))
    assert events == [PartialEvent("身份证")]


def _playing(clock: Clock, recognizer: ScriptedRecognizer, **kw: Any) -> VoiceSession:
    s = session(recognizer, clock=clock, **kw)
    collect(s.feed(CHUNK))  # the first step answers a question: its reply is now playing
    assert s.playing
    return s


def test_speaking_over_the_reply_stops_playback() -> None:
    clock = Clock()
    s = _playing(clock, ScriptedRecognizer((False, [final(QUESTION)]), (True, [])))
    clock.now += 0.5
    assert collect(s.feed(CHUNK)) == [StopPlaybackEvent()]
    assert not s.playing


def test_a_partial_over_the_reply_stops_playback_without_a_speech_flag() -> None:
    clock = Clock()
    s = _playing(
        clock, ScriptedRecognizer((False, [final(QUESTION)]), (False, [partial("等一下")]))
    )
    assert collect(s.feed(CHUNK)) == [StopPlaybackEvent(), PartialEvent("等一下")]


def test_speech_after_the_reply_has_played_is_no_barge_in() -> None:
    clock = Clock()
    s = _playing(clock, ScriptedRecognizer((False, [final(QUESTION)]), (True, [])))
    clock.now += 0.1 * len(ANSWER) + 0.01
    assert collect(s.feed(CHUNK)) == []


def test_playback_done_ends_the_barge_in_window() -> None:
    clock = Clock()
    s = _playing(clock, ScriptedRecognizer((False, [final(QUESTION)]), (True, [])))
    s.playback_done()
    assert collect(s.feed(CHUNK)) == []


def test_paced_channel_takes_audio_and_barge_in_drops_the_rest() -> None:
    s = session(ScriptedRecognizer((False, [final(QUESTION)]), (True, [])), paced=True)
    collect(s.feed(CHUNK))
    assert len(s.take_playback(640)) == 640
    assert collect(s.feed(CHUNK)) == [StopPlaybackEvent()]
    assert s.take_playback(640) == b""


def test_an_empty_final_is_a_did_not_hear_turn() -> None:
    conversation, synth = FakeConversation(), FakeSynth()
    events = collect(
        session(ScriptedRecognizer((False, [final("  ")])), conversation, synth).feed(CHUNK)
    )
    assert kinds(events) == ["FinalEvent", "ReplyEvent", "AudioEvent"]
    reply = events[1]
    assert isinstance(reply, ReplyEvent)
    assert (reply.text, reply.decision) == (DID_NOT_HEAR, "no_speech")
    assert synth.said == [DID_NOT_HEAR]
    assert conversation.calls == []


def test_a_second_unheard_utterance_offers_a_human() -> None:
    s = session(ScriptedRecognizer((False, [final("嗯")]), (False, [final("啊，")])))
    collect(s.feed(CHUNK))
    replies = [e for e in collect(s.feed(CHUNK)) if isinstance(e, ReplyEvent)]
    assert replies[0].full_text == DID_NOT_HEAR_AGAIN


def test_speech_that_ends_without_any_transcript_is_not_heard() -> None:
    steps = [(True, [])] * 40 + [(False, [])]  # 0.8 s of speech, then nothing recognised
    events = collect_all(session(ScriptedRecognizer(*steps)), len(steps))
    assert [e.text for e in events if isinstance(e, ReplyEvent)] == [DID_NOT_HEAR]


def test_a_short_noise_without_transcript_is_ignored() -> None:
    steps = [(True, [])] * 10 + [(False, [])]  # 0.2 s: a cough
    assert collect_all(session(ScriptedRecognizer(*steps)), len(steps)) == []


def collect_all(s: VoiceSession, chunks: int) -> list[VoiceEvent]:
    events: list[VoiceEvent] = []
    for _ in range(chunks):
        events += collect(s.feed(CHUNK))
    return events


def test_a_failing_recognizer_reports_once_per_streak_and_recovers() -> None:
    rec = ScriptedRecognizer(
        RuntimeError("decoder"), RuntimeError("decoder"), (False, [final(QUESTION)])
    )
    s = session(rec)
    first, second, third = collect(s.feed(CHUNK)), collect(s.feed(CHUNK)), collect(s.feed(CHUNK))
    assert kinds(first) == ["ErrorEvent"] and isinstance(first[0], ErrorEvent)
    assert first[0].code == "asr_failed"
    assert second == []
    assert kinds(third) == ["FinalEvent", "ReplyEvent", "AudioEvent"]


def test_a_failing_dialog_gives_an_error_and_a_spoken_apology() -> None:
    events = collect(
        session(ScriptedRecognizer((False, [final(QUESTION)])), FakeConversation(fail=True)).feed(
            CHUNK
        )
    )
    assert kinds(events) == ["FinalEvent", "ErrorEvent", "ReplyEvent", "AudioEvent"]
    assert isinstance(events[1], ErrorEvent) and events[1].code == "dialog_failed"
    assert isinstance(events[2], ReplyEvent) and "转人工" in events[2].text


def test_a_failing_synthesizer_still_gives_the_reply_text() -> None:
    events = collect(
        session(ScriptedRecognizer((False, [final(QUESTION)])), synth=FakeSynth(fail=True)).feed(
            CHUNK
        )
    )
    assert kinds(events) == ["FinalEvent", "ReplyEvent", "ErrorEvent"]
    assert isinstance(events[2], ErrorEvent) and events[2].code == "tts_failed"


def test_a_long_answer_is_spoken_short_and_kept_whole() -> None:
    long = (
        "开发商完成项目首次登记后，买房人可申请转移登记领取不动产权证，多数项目由开发商统一收件代办。"
        * 3
    )
    reply = ChatReply(
        "call-1",
        (
            BotMessage(long),
            BotMessage("请问这个回答对您有帮助吗？", ({"title": "有帮助", "payload": "/affirm"},)),
        ),
        "answer",
        "BDC001",
    )
    events = collect(
        session(
            ScriptedRecognizer((False, [final(QUESTION)])), FakeConversation({QUESTION: reply})
        ).feed(CHUNK)
    )
    spoken = events[1]
    assert isinstance(spoken, ReplyEvent)
    assert spoken.text.endswith("代办。" + SMS_NOTE + "请问这个回答对您有帮助吗？")
    assert spoken.full_text == long + "\n请问这个回答对您有帮助吗？"
    assert spoken.follow_up is True
    assert spoken.buttons == ({"title": "有帮助", "payload": "/affirm"},)


def test_choices_are_spoken_in_full() -> None:
    choices = (
        "您想问的是下面哪一个？\n1. 身份证丢了怎么补办\n2. 身份证到期怎么换\n"
        "3. 社保卡丢了怎么补办\n4. 户口本丢了怎么补办"
    )
    reply = ChatReply("call-1", (BotMessage(choices),), "clarify")
    events = collect(
        session(
            ScriptedRecognizer((False, [final(QUESTION)])), FakeConversation({QUESTION: reply})
        ).feed(CHUNK)
    )
    assert isinstance(events[1], ReplyEvent) and events[1].text.endswith(
        "第四，户口本丢了怎么补办。"
    )


def test_odd_length_chunks_reach_the_recognizer_as_whole_samples() -> None:
    rec = ScriptedRecognizer()
    s = session(rec)
    for chunk in (b"\x01", b"\x02\x03", b"\x04\x05\x06"):
        collect(s.feed(chunk))
    assert b"".join(rec.fed) == b"\x01\x02\x03\x04\x05\x06"
    assert all(len(c) % 2 == 0 for c in rec.fed)


def test_finish_turns_the_last_utterance_into_a_turn() -> None:
    conversation = FakeConversation()
    events = collect(session(ScriptedRecognizer(last=final(QUESTION)), conversation).finish())
    assert kinds(events) == ["FinalEvent", "ReplyEvent", "AudioEvent"]
    assert conversation.calls[0][1] == QUESTION


def test_greeting() -> None:
    events = collect(session(ScriptedRecognizer()).greet())
    assert isinstance(events[0], ReplyEvent) and events[0].full_text == GREETING
    assert events[0].decision == "greet"


def test_without_a_synthesizer_there_is_text_only() -> None:
    s = VoiceSession("call-1", ScriptedRecognizer((False, [final(QUESTION)])), FakeConversation())
    assert kinds(collect(s.feed(CHUNK))) == ["FinalEvent", "ReplyEvent"]


def _tone(seconds: float, amplitude: float = 0.3) -> bytes:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (np.sin(2 * np.pi * 220 * t) * amplitude * 32767).astype("<i2").tobytes()


def _chunks(pcm: bytes, size: int = 640) -> list[bytes]:
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def test_energy_fake_hears_its_text_at_the_end_of_a_burst() -> None:
    s = session(EnergyTranscriber("社保卡怎么办").stream())
    events: list[VoiceEvent] = []
    for chunk in _chunks(b"\x00\x00" * 8000 + _tone(1.2) + b"\x00\x00" * 16000):
        events += collect(s.feed(chunk))
    assert [e.text for e in events if isinstance(e, FinalEvent)] == ["社保卡怎么办"]
    assert any(isinstance(e, PartialEvent) for e in events)
    assert any(isinstance(e, AudioEvent) for e in events)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=3000), max_size=8))
def test_any_bytes_never_crash_a_session(chunks: list[bytes]) -> None:
    s = session(EnergyTranscriber().stream())
    events: list[VoiceEvent] = []
    for chunk in chunks:
        events += collect(s.feed(chunk))
    events += collect(s.finish())
    assert not any(isinstance(e, ErrorEvent) for e in events)


def test_real_conversation_records_voice_turns_and_unheard_ones(tmp_path: Path) -> None:
    from tests.unit.gateway.gateway_fakes import FakeEngine

    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as store:
        conversation = ConversationService(None, FakeEngine(), store, 2000)
        s = VoiceSession(
            "call-9",
            ScriptedRecognizer((False, [final(QUESTION, 0.77)]), (False, [final("")])),
            conversation,
            FakeSynth(),
            store=store,
        )
        collect(s.feed(CHUNK))
        collect(s.feed(CHUNK))
        asked, unheard = store.get_turns("call-9")
    assert (asked.channel, asked.text, asked.asr_confidence) == (Channel.VOICE, QUESTION, 0.77)
    assert asked.decision == "handover"  # the fake engine hands over what it does not know
    assert (unheard.intent, unheard.reply, unheard.asr_confidence) == (
        "no_speech",
        DID_NOT_HEAR,
        0.8,
    )


def test_a_broken_character_from_the_decoder_is_dropped() -> None:
    conversation = FakeConversation()
    events = collect(
        session(ScriptedRecognizer((False, [final(QUESTION + "\ufffd")])), conversation).feed(CHUNK)
    )
    assert events[0] == FinalEvent(QUESTION, 0.8, "scripted")
    assert conversation.calls[0][1] == QUESTION


def test_hanging_up_during_unrecognised_speech_says_nothing() -> None:
    s = session(ScriptedRecognizer(*[(True, [])] * 40))
    assert collect_all(s, 40) == []
    assert collect(s.finish()) == []
