"""A phone call over AudioSocket with the real recognizer (Whisper base) and the real
synthesizer (espeak-ng): a client of our own streams a real Mandarin recording from
../shared/data/speech, brought to the telephone band at test time (8 kHz, G.711 mu-law and
back, in a temp dir; never committed), in real time, and gets the answer back as audio
frames paced at 20 ms; the transcript in the store matches the reference loosely.

The dialog side is the degraded path (ConversationService without rasa, an engine that
answers every question with one entry): the rasa stack is exercised elsewhere.
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.engine.types import Decision, FaqResult
from bot.gateway.conversation import ConversationService
from bot.settings import PROJECT_ROOT, Settings
from bot.store.base import Channel, Outcome
from bot.store.sql import SqlStore
from bot.telephony.audiosocket import HANGUP, AudioSocketServer, CallOutcomes
from bot.telephony.config import TelephonySettings
from bot.telephony.flow import CallBot
from bot.voice.audio import decode_file, resample_pcm
from bot.voice.cer import cer_count
from bot.voice.config import VoiceSettings
from bot.voice.factory import make_transcriber
from bot.voice.g711 import pcm16_to_ulaw, ulaw_to_pcm16
from bot.voice.service import VoiceService
from bot.voice.tts import EspeakSynthesizer
from bot.voice.wav import wav_bytes
from bot.voice.whisper_build import is_built
from tests.unit.gateway.gateway_fakes import FakeEngine, result
from tests.unit.telephony.audiosocket_client import CALL, Client

pytestmark = pytest.mark.integration

DATA = Path(os.environ.get("BOT_SPEECH_DATA", PROJECT_ROOT.parent / "shared" / "data" / "speech"))
RECORDING = "aishell1_test_dev/BAC009S0764W0121.wav"  # 甚至出现交易几乎停滞的情况
FRAME = 320  # 20 ms at 8 kHz


class AnswerEverything(FakeEngine):
    def ask(self, text: str) -> FaqResult:
        self.asked.append(text)
        return result(text, Decision.ANSWER, [("SFZ001", 0.9)])


@pytest.fixture(scope="module")
def reference() -> str:
    manifest = DATA / "manifest.csv"
    if not manifest.is_file():
        pytest.skip(f"no real recordings at {DATA} (see ../shared/data/speech/README.md)")
    with manifest.open(encoding="utf-8", newline="") as handle:
        return next(r["transcript"] for r in csv.DictReader(handle) if r["file"] == RECORDING)


@pytest.fixture(scope="module")
def transcriber() -> Any:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = Settings.load()
    voice = VoiceSettings.load(settings)
    if not is_built(voice.whisper_model_dir):
        pytest.skip(f"no Whisper model at {voice.whisper_model_dir}: run `bot build model`")
    engine = make_transcriber(voice, settings.kb_dir, "whisper")
    engine.load()
    return engine


@pytest.fixture
def caller_audio(tmp_path: Path, reference: str) -> bytes:
    """The recording as a G.711 call leg carries it: 8 kHz, mu-law, back to 16-bit."""
    narrow = resample_pcm(decode_file(DATA / RECORDING).pcm, 16000, 8000)
    leg = ulaw_to_pcm16(pcm16_to_ulaw(narrow))
    (tmp_path / "caller-8k.wav").write_bytes(wav_bytes(leg, 8000))  # for a look when it fails
    return leg


async def quiet_for(client: Client, seconds: float, timeout_s: float) -> None:
    """Until no frame has come for `seconds` (the bot finished speaking)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        last = client.frames[-1].at if client.frames else 0.0
        if client.frames and time.monotonic() - last > seconds:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bot kept talking")


async def stream(client: Client, pcm: bytes) -> float:
    """Send in real time, 20 ms a frame by the monotonic clock; returns when it ended."""
    start = time.monotonic()
    for n, i in enumerate(range(0, len(pcm), FRAME)):
        client.audio(pcm[i : i + FRAME])
        await asyncio.sleep(max(0.0, start + (n + 1) * 0.02 - time.monotonic()))
    return time.monotonic()


def test_a_spoken_question_over_audiosocket_is_transcribed_and_answered(
    tmp_path: Path, transcriber: Any, reference: str, caller_audio: bytes
) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    store = SqlStore(f"sqlite:///{tmp_path / 'bot.db'}")
    conversation = ConversationService(None, AnswerEverything(), store, 2000)
    voice = VoiceService(conversation, transcriber, EspeakSynthesizer(), store)
    bot = CallBot(voice, TelephonySettings(), store)
    bot.warm_up()
    outcomes = CallOutcomes()

    async def run() -> tuple[Client, int, float]:
        server = await AudioSocketServer(bot, "127.0.0.1", 0, outcomes).start()
        try:
            client = await Client.connect(server.port)
            await quiet_for(client, 0.5, 60)  # the greeting, heard to the end
            greeting = len(client.frames)
            ended = await stream(client, caller_audio)
            silence = b"\x00\x00" * 160
            deadline = time.monotonic() + 180
            while len(client.frames) == greeting:  # Asterisk keeps sending while it waits
                assert time.monotonic() < deadline, "no answer within 180 s"
                client.audio(silence)
                await asyncio.sleep(0.02)
            latency = client.frames[greeting].at - ended
            await quiet_for(client, 0.5, 120)
            client.send(HANGUP)
            await asyncio.sleep(0.5)
            await client.close()
            return client, greeting, latency
        finally:
            await server.close()

    client, greeting, latency = asyncio.run(run())
    print(f"end of speech -> first answer frame: {latency:.2f} s")
    turns = store.get_turns(str(CALL))
    assert turns and turns[0].channel is Channel.PHONE
    assert cer_count(reference, turns[0].text).cer <= 0.35, turns[0].text
    answer = client.audio_frames()[greeting:]
    assert len(answer) > 100  # the answer and the keypad question: seconds of speech
    assert {len(f.payload) for f in answer} == {FRAME}
    gaps = [b.at - a.at for a, b in zip(answer, answer[1:], strict=False)]
    assert 0.015 <= statistics.median(gaps) <= 0.025
    samples = np.frombuffer(b"".join(f.payload for f in answer), "<i2").astype(np.float64)
    assert np.sqrt(np.mean(samples**2)) > 300  # speech, not silence
    record = store.get_session(str(CALL))
    assert record is not None and record.outcome is Outcome.DEFLECTED
    store.close()
