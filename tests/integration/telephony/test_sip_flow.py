"""A phone call through the SIP adapter into the real call flow (bot/telephony/flow.py):
sipp calls in with PCMA or PCMU carrying a real Mandarin recording (made 8 kHz G.711 with
sox at test time, never committed), Whisper base transcribes it, the FAQ answer is spoken
with espeak-ng and goes out as paced RTP. The transcript in the store matches the
recording's reference text loosely.

The dialog side is the degraded path (ConversationService without rasa, an engine that
answers every question with one entry), as in test_audiosocket_call.py.
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.conversation import ConversationService
from bot.settings import Settings
from bot.store.sql import SqlStore
from bot.telephony.call import CallControl, CallHandler
from bot.telephony.config import TelephonySettings
from bot.telephony.flow import CallBot, session_id_for
from bot.voice.cer import cer_count
from bot.voice.config import VoiceSettings
from bot.voice.factory import make_transcriber
from bot.voice.service import VoiceService
from bot.voice.tts import EspeakSynthesizer
from bot.voice.whisper_build import is_built
from tests.integration.telephony.sip_harness import (
    SAMPLE,
    SPEECH,
    bot,
    g711_copy,
    need,
    rms,
    run,
    scenario,
    sipp,
    speech_sample,
)
from tests.integration.telephony.test_audiosocket_call import AnswerEverything

pytestmark = pytest.mark.integration

PT = {"PCMA": 8, "PCMU": 0}


@pytest.fixture(scope="module")
def reference() -> str:
    manifest = SPEECH / "manifest.csv"
    if not manifest.is_file():
        pytest.skip(f"no real recordings at {SPEECH} (see ../shared/data/speech/README.md)")
    with manifest.open(encoding="utf-8", newline="") as handle:
        return next(r["transcript"] for r in csv.DictReader(handle) if r["file"] == SAMPLE)


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


class PlaySpy:
    """The SIP call's CallControl with what the flow plays kept (to measure the answer)."""

    def __init__(self, control: CallControl) -> None:
        self.control = control
        self.call_id, self.caller = control.call_id, control.caller
        self.played: list[bytes] = []
        self.transfers: list[tuple[str, bool]] = []

    def play(self, pcm: bytes) -> None:
        self.played.append(pcm)
        self.control.play(pcm)

    def stop_playback(self) -> None:
        self.control.stop_playback()

    def playback_pending_s(self) -> float:
        return self.control.playback_pending_s()

    async def transfer(self, target: str) -> bool:
        done = await self.control.transfer(target)
        self.transfers.append((target, done))
        return done

    async def hangup(self) -> None:
        await self.control.hangup()


class SpyingAcceptor:
    def __init__(self, inner: CallBot) -> None:
        self.inner = inner
        self.spies: list[PlaySpy] = []
        self.accepted = asyncio.Event()

    async def accept(self, control: CallControl) -> CallHandler:
        spy = PlaySpy(control)
        self.spies.append(spy)
        self.accepted.set()
        return await self.inner.accept(spy)


@pytest.mark.parametrize("codec", ["PCMA", "PCMU"])
def test_spoken_question_over_sip_is_transcribed_and_answered(
    tmp_path: Path, codec: str, transcriber: Any, reference: str
) -> None:
    need("sipp", "sip-tester")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = g711_copy(speech_sample(), tmp_path, codec, pad=(0.5, 4.0))
    xml = scenario(
        "uac_speak_wait.xml",
        tmp_path,
        audio=wav,
        pt=PT[codec],
        codec=codec,
        media_port="[rtpstream_audio_port]",
        wait_ms=100000,
    )
    store = SqlStore(f"sqlite:///{tmp_path / 'bot.db'}")
    conversation = ConversationService(None, AnswerEverything(), store, 2000)
    voice = VoiceService(conversation, transcriber, EspeakSynthesizer(), store)
    callbot = CallBot(voice, TelephonySettings(), store)
    callbot.warm_up()
    acceptor = SpyingAcceptor(callbot)

    async def call() -> tuple[int, str, str, int, float]:
        async with bot(acceptor, rtp_timeout_s=60) as ua:  # type: ignore[arg-type]
            job = asyncio.ensure_future(sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=110))
            await asyncio.wait_for(acceptor.accepted.wait(), 15)
            spy = acceptor.spies[0]
            session = session_id_for(spy.call_id)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            while not store.get_turns(session):  # the recording, transcribed and answered
                assert loop.time() < deadline, "no turn within 90 s"
                await asyncio.sleep(0.2)
            # played[0] is the greeting; the answer (in one or more pieces) follows it
            while len(spy.played) < 2 or spy.playback_pending_s() > 0:
                assert loop.time() < deadline, "the answer was not played within 90 s"
                await asyncio.sleep(0.1)
            answer = b"".join(spy.played[1:])
            await spy.hangup()
            result = await job
            text = store.get_turns(session)[0].text
            return result.returncode, result.output, text, len(answer), rms(answer)

    rc, log, text, answer_bytes, answer_rms = run(call(), timeout=150)  # type: ignore[misc]
    score = cer_count(reference, text).cer
    print(
        f"{codec}: transcript {text!r} (CER {score:.2f}); answer {answer_bytes / 16000:.1f} s, "
        f"rms {answer_rms:.0f}"
    )
    store.close()
    assert rc == 0, log  # sipp got the bot's BYE
    assert score < 0.5, (text, reference)
    assert answer_bytes / 16000 > 1.0  # seconds of spoken answer
    assert answer_rms > 300
