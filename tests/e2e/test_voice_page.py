"""The voice page in real headless Chromium, with a WAV file as the microphone.

The gateway part runs in-process on a real port: the voice WebSocket and the page, the
real ConversationService (degraded mode: no rasa) on a real SqlStore, the real espeak-ng
voice, and the real Whisper engine when its model is built (else an energy-triggered fake
transcriber that hears a fixed question). The caller is a real Mandarin recording from
../shared/data/speech when present, else espeak-ng's reading of a hotline question.
The page greets, the caller speaks over the greeting (barge-in), the page shows the
transcript and the answer and plays the reply audio.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.engine.types import Decision, FaqMatch, FaqResult
from bot.gateway.conversation import ConversationService
from bot.settings import PROJECT_ROOT
from bot.store.sql import SqlStore
from bot.voice.wav import wav_bytes

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SPEECH = PROJECT_ROOT.parent / "shared" / "data" / "speech" / "funasr_examples" / "sample.wav"
SPOKEN_QUESTION = "我想问我在滨海新区有房"  # the reference transcript of SPEECH
FAKE_QUESTION = "身份证丢了怎么补办"
ANSWER = "房产相关问题可携带身份证和不动产权证到海川市不动产登记中心咨询。"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


class KeywordEngine:
    """Answers anything about a house (房) or an ID card (身份证), hands over the rest."""

    version = "e2e"

    def ask(self, text: str) -> FaqResult:
        if "房" in text or "身份证" in text:
            match = FaqMatch(
                "BDC009",
                0.9,
                "有房产问题怎么咨询",
                text,
                ANSWER,
                "不动产",
                "海川市不动产登记中心",
                0.9,
            )
            return FaqResult(text, text, Decision.ANSWER, (match,), 1.0, "e2e")
        return FaqResult(text, text, Decision.HANDOVER, (), 1.0, "e2e")

    def entry(self, faq_id: str) -> None:
        return None


@dataclass
class Caller:
    wav: Path
    transcriber: Any
    expect: str  # characters the shown transcript must contain
    real_asr: bool


def _need(condition: bool, reason: str) -> None:
    if not condition:
        pytest.skip(reason)


def _padded_wav(pcm: bytes, path: Path) -> Path:
    # 2.5 s of silence first: the caller starts speaking while the greeting plays.
    path.write_bytes(wav_bytes(b"\x00\x00" * 40000 + pcm + b"\x00\x00" * 64000))
    return path


def _caller(tmp_path: Path) -> Caller:
    from bot.voice.audio import decode_file
    from bot.voice.config import VoiceSettings
    from bot.voice.whisper_build import is_built

    voice = VoiceSettings.load()
    if SPEECH.is_file() and is_built(voice.whisper_model_dir):
        from bot.voice.factory import make_transcriber

        transcriber = make_transcriber(
            voice, kb_dir=PROJECT_ROOT / "knowledge_base", engine="whisper"
        )
        return Caller(
            _padded_wav(decode_file(SPEECH).pcm, tmp_path / "caller.wav"),
            transcriber,
            "我在滨海新区有房",
            True,
        )
    from bot.voice.fake import EnergyTranscriber
    from bot.voice.tts import EspeakSynthesizer

    spoken = EspeakSynthesizer().synthesize(FAKE_QUESTION)
    return Caller(
        _padded_wav(spoken.pcm, tmp_path / "caller.wav"),
        EnergyTranscriber(FAKE_QUESTION),
        FAKE_QUESTION,
        False,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Caller, SqlStore]]:
    _need(Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium")
    _need(shutil.which("espeak-ng") is not None, "espeak-ng missing: apt-get install -y espeak-ng")
    pytest.importorskip("playwright.sync_api", reason="playwright missing (requirements/app.txt)")
    import uvicorn
    from fastapi import FastAPI

    from bot.gateway.voice_ws import voice_router
    from bot.voice.service import VoiceService
    from bot.voice.tts import EspeakSynthesizer
    from bot.web.pages import install_pages
    from tests.unit.gateway.gateway_fakes import free_port

    caller = _caller(tmp_path)
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as store:
        conversation = ConversationService(None, KeywordEngine(), store, 2000)
        service = VoiceService(conversation, caller.transcriber, EspeakSynthesizer(), store)
        service.warm_up()
        app = FastAPI()
        app.include_router(voice_router(service))
        install_pages(app)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", caller, store
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _launch(playwright: Any, wav: Path) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--autoplay-policy=no-user-gesture-required",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop",
        ],
    )


def test_the_voice_page_hears_the_caller_and_answers_aloud(
    served: tuple[str, Caller, SqlStore],
) -> None:
    from playwright.sync_api import sync_playwright

    url, caller, store = served
    with sync_playwright() as p:
        browser = _launch(p, caller.wav)
        try:
            page = browser.new_page()
            page.goto(f"{url}/voice")
            assert page.title() == "海川市12345语音客服"
            page.click("#call")
            # Generous: Whisper on 2 shared cores can take seconds an utterance.
            page.wait_for_function(
                "() => window.voiceState.replies.some(r => r.decision === 'answer')",
                timeout=180_000,
            )
            page.wait_for_function(
                "() => window.voiceState.audio.chunks >= window.voiceState.replies.length",
                timeout=60_000,
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "voice_page.png"), full_page=True)
            state = page.evaluate("() => window.voiceState")
            shown_caller = page.locator("#transcript li.caller.final").all_inner_texts()
            shown_bot = page.locator("#transcript li.bot").all_inner_texts()
            page.click("#call")  # hang up
            page.wait_for_function("() => window.voiceState.status === 'ended'", timeout=120_000)
        finally:
            browser.close()
    assert state["sentBytes"] > 16000 * 2 * 3  # seconds of microphone audio reached the server
    heard = "".join(shown_caller)
    # Recognition is real: most, not necessarily all, of the question's characters.
    assert sum(ch in heard for ch in caller.expect) >= 0.6 * len(caller.expect), shown_caller
    assert any("海川市12345" in text for text in shown_bot)  # the greeting
    assert any(ANSWER in text for text in shown_bot), shown_bot
    assert state["audio"]["chunks"] >= 2 and state["audio"]["seconds"] > 2.0  # greeting + answer
    assert state["stopPlayback"] >= 1  # the caller spoke over the greeting
    session = store.get_session(state["sessionId"])
    assert session is not None and session.ended_at is not None
    answered = [t for t in store.get_turns(state["sessionId"]) if t.decision == "answer"]
    assert answered and answered[0].channel.value == "voice"
    assert answered[0].asr_confidence is not None


def test_the_page_is_served_with_its_static_files(served: tuple[str, Caller, SqlStore]) -> None:
    import httpx

    url, _, _ = served
    page = httpx.get(f"{url}/voice")
    assert page.status_code == 200 and "海川市12345语音客服" in page.text
    assert "://" not in page.text  # nothing from elsewhere: works on a closed network
    for name in ("voice.js", "voice-worklet.js", "voice.css"):
        asset = httpx.get(f"{url}/static/{name}")
        assert asset.status_code == 200 and "://" not in asset.text.replace("${scheme}://", "")
