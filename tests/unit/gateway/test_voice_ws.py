"""/ws/voice in-process: the real router, ConversationService and SqlStore, with a scripted
rasa, an energy-triggered fake transcriber and a fake synthesizer (no models)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.gateway.conversation import ConversationService
from bot.gateway.voice_ws import voice_router
from bot.store.base import Channel
from bot.store.sql import SqlStore
from bot.voice.base import SAMPLE_RATE, Audio, Transcript
from bot.voice.fake import EnergyTranscriber
from bot.voice.service import VoiceService
from tests.unit.gateway.gateway_fakes import (
    FakeEngine,
    FakeRasa,
    faq_payload,
    rest_items,
    serve_app,
)

QUESTION = "身份证丢了怎么补办"
ANSWER = "携带户口簿到户籍所在地派出所申请补领。"
HELPED = "请问这个回答对您有帮助吗？"
FEEDBACK = [{"title": "有帮助", "payload": "/affirm"}, {"title": "没帮助", "payload": "/deny"}]


class FakeSynth:
    name = "fake"

    def synthesize(self, text: str) -> Audio:
        return Audio(b"\x01\x00" * 800 * len(text))  # 50 ms a character


def tone(seconds: float, rate: int = SAMPLE_RATE, freq: float = 220.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq * t) * 0.3 * 32767).astype("<i2").tobytes()


def silence(seconds: float, rate: int = SAMPLE_RATE) -> bytes:
    return b"\x00\x00" * int(seconds * rate)


def utterance(rate: int = SAMPLE_RATE, freq: float = 220.0) -> bytes:
    return silence(0.2, rate) + tone(1.0, rate, freq) + silence(0.8, rate)


def chunks(pcm: bytes, rate: int = SAMPLE_RATE, ms: int = 100) -> list[bytes]:
    size = rate * 2 * ms // 1000
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as opened:
        yield opened


@pytest.fixture
def rasa() -> FakeRasa:
    r = FakeRasa()
    r.replies[QUESTION] = rest_items(
        ANSWER, HELPED, buttons=FEEDBACK, custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93)])
    )
    return r


def make_app(store: SqlStore, rasa: FakeRasa, transcriber: Any = None, **kw: Any) -> FastAPI:
    conversation = ConversationService(rasa, FakeEngine(), store, 2000)
    service = VoiceService(
        conversation, transcriber or EnergyTranscriber(QUESTION), FakeSynth(), store, **kw
    )
    app = FastAPI()
    app.include_router(voice_router(service))
    return app


@pytest.fixture
def client(store: SqlStore, rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(make_app(store, rasa)) as c:
        yield c


def start(ws: Any, **fields: Any) -> dict[str, Any]:
    ws.send_text(json.dumps({"type": "start", "session_id": "ws-1", **fields}))
    return ws.receive_json()


def receive_until(ws: Any, kind: str, limit: int = 50) -> list[dict[str, Any]]:
    """Messages up to and including the first of `kind`; audio frames come as bytes."""
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        message = ws.receive()
        if message.get("bytes") is not None:
            seen.append({"type": "<binary>", "bytes": len(message["bytes"])})
            continue
        body = json.loads(message["text"])
        seen.append(body)
        if body["type"] == kind:
            return seen
    raise AssertionError(f"no {kind!r} in {seen}")


def speak(ws: Any, rate: int = SAMPLE_RATE) -> None:
    for chunk in chunks(utterance(rate), rate):
        ws.send_bytes(chunk)


def test_start_is_acknowledged(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        assert start(ws) == {
            "type": "started",
            "session_id": "ws-1",
            "sample_rate": 16000,
            "encoding": "pcm16",
            "engine": "fake",
        }


def test_a_spoken_question_gets_transcripts_reply_and_audio(
    client: TestClient, store: SqlStore
) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws)
        speak(ws)
        seen = receive_until(ws, "audio")
        audio_frame = ws.receive_bytes()
    types = [m["type"] for m in seen]
    assert "partial" in types
    final = next(m for m in seen if m["type"] == "final")
    assert (final["text"], final["confidence"]) == (QUESTION, 0.9)
    reply = next(m for m in seen if m["type"] == "reply")
    assert reply["full_text"] == f"{ANSWER}\n{HELPED}"
    assert reply["text"] == ANSWER + HELPED
    assert reply["buttons"] == FEEDBACK and reply["decision"] == "answer"
    audio = seen[-1]
    assert audio["format"] == "pcm16" and audio["sample_rate"] == 16000
    assert audio["bytes"] == len(audio_frame) == 1600 * len(reply["text"])
    [turn] = store.get_turns("ws-1")
    assert (turn.channel, turn.text, turn.asr_confidence) == (Channel.VOICE, QUESTION, 0.9)


@pytest.mark.parametrize("rate", [8000, 48000])
def test_telephone_and_browser_rates_are_resampled(client: TestClient, rate: int) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        assert start(ws, sample_rate=rate)["sample_rate"] == rate
        speak(ws, rate)
        assert receive_until(ws, "final")[-1]["text"] == QUESTION


def test_wav_reply_audio(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws, reply_audio="wav")
        ws.send_text(json.dumps({"type": "text", "text": QUESTION}))
        assert receive_until(ws, "audio")[-1]["format"] == "wav"
        assert ws.receive_bytes()[:4] == b"RIFF"


def test_a_typed_turn_and_the_greeting(client: TestClient, rasa: FakeRasa) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws, greet=True)
        greeting = receive_until(ws, "reply")[-1]
        assert greeting["decision"] == "greet" and "12345" in greeting["full_text"]
        ws.receive_json(), ws.receive_bytes()  # its audio
        ws.send_text(json.dumps({"type": "text", "text": "转人工"}))
        seen = receive_until(ws, "reply")
    assert seen[0] == {"type": "stop_playback"}  # the greeting was still playing
    assert rasa.sent[-1] == ("ws-1", "转人工", {"channel": "voice"})


def test_speaking_over_the_reply_stops_playback(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws)
        ws.send_text(json.dumps({"type": "text", "text": QUESTION}))
        receive_until(ws, "audio"), ws.receive_bytes()
        for chunk in chunks(tone(0.4)):
            ws.send_bytes(chunk)
        assert receive_until(ws, "stop_playback")[-1] == {"type": "stop_playback"}


def test_stop_flushes_ends_the_session_and_closes(client: TestClient, store: SqlStore) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws)
        for chunk in chunks(silence(0.2) + tone(1.0)):  # hung up mid-sentence
            ws.send_bytes(chunk)
        ws.send_text(json.dumps({"type": "stop"}))
        seen = receive_until(ws, "stopped")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert any(m["type"] == "final" and m["text"] == QUESTION for m in seen)
    assert seen[-1]["outcome"] == "deflected"
    assert closed.value.code == 1000
    record = store.get_session("ws-1")
    assert record is not None and record.ended_at is not None


BAD_INPUTS = [
    ("not json", "bad_json"),
    ('["start"]', "bad_message"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"type": "start", "sample_rate": 11025}', "bad_sample_rate"),
    ('{"type": "start", "sample_rate": "16000"}', "bad_sample_rate"),
    ('{"type": "start", "encoding": "mp3"}', "bad_encoding"),
    ('{"type": "start", "format": "nonsense"}', "bad_encoding"),
    ('{"type": "start", "format": "opus", "encoding": "pcm16"}', "bad_encoding"),
    ('{"type": "start", "encoding": "opus", "container": "mp4"}', "bad_container"),
    ('{"type": "start", "session_id": "a b"}', "bad_session_id"),
    ('{"type": "start", "reply_audio": "mp3"}', "bad_reply_audio"),
    ('{"type": "text", "text": "你好"}', "not_started"),
    ('{"type": "stop"}', "not_started"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_INPUTS)
def test_bad_input_gets_an_error_and_the_connection_stays_usable(
    client: TestClient, raw: str, code: str
) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        ws.send_text(raw)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == code and error["message"]
        assert start(ws)["type"] == "started"


def test_an_unknown_format_names_the_accepted_ones(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        ws.send_text('{"type": "start", "format": "nonsense"}')
        error = ws.receive_json()
        assert error["code"] == "bad_encoding"
        assert "'nonsense'" in error["message"]
        assert "pcm16" in error["message"] and "opus" in error["message"]


def test_format_is_taken_as_the_encoding(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        assert start(ws, format="pcm16")["encoding"] == "pcm16"


def test_audio_before_start_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        ws.send_bytes(silence(0.1))
        assert ws.receive_json()["code"] == "not_started"


def test_an_audio_frame_over_1_mib_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws)
        ws.send_bytes(b"\x00" * ((1 << 20) + 2))
        assert ws.receive_json()["code"] == "frame_too_large"
        ws.send_text('{"type": "ping"}')
        assert ws.receive_json() == {"type": "pong"}


def test_bad_turn_text_and_a_second_start(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws)
        ws.send_text(json.dumps({"type": "text", "text": "  "}))
        assert ws.receive_json()["code"] == "bad_text"
        assert start(ws)["code"] == "already_started"


def test_undecodable_opus_is_an_error_not_a_crash(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        start(ws, encoding="opus")
        ws.send_bytes(b"this is not a webm stream" * 200)
        ws.send_text(json.dumps({"type": "stop"}))
        assert [m["type"] for m in receive_until(ws, "stopped")][-1] == "stopped"


def test_opus_in_webm_is_decoded(client: TestClient) -> None:
    import io

    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        pcm = np.frombuffer(utterance(48000), dtype="<i2")
        for i in range(0, len(pcm), 960):
            frame = av.AudioFrame.from_ndarray(
                pcm[i : i + 960].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    data = buffer.getvalue()
    with client.websocket_connect("/ws/voice") as ws:
        start(ws, encoding="opus", container="webm")
        for i in range(0, len(data), 2000):
            ws.send_bytes(data[i : i + 2000])
        ws.send_text(json.dumps({"type": "stop"}))
        assert any(
            m["type"] == "final" and m["text"] == QUESTION for m in receive_until(ws, "stopped")
        )


def test_too_many_errors_close_the_connection(client: TestClient) -> None:
    with client.websocket_connect("/ws/voice") as ws:
        for _ in range(20):
            ws.send_text("x")
        for _ in range(20):
            assert ws.receive_json()["code"] == "bad_json"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1008


def test_a_full_house_is_refused_with_1013(store: SqlStore, rasa: FakeRasa) -> None:
    with TestClient(make_app(store, rasa, max_calls=1)) as c:
        with c.websocket_connect("/ws/voice") as first:
            start(first)
            with c.websocket_connect("/ws/voice") as second:
                assert start(second, session_id="ws-2")["code"] == "busy"
                with pytest.raises(WebSocketDisconnect) as closed:
                    second.receive_json()
    assert closed.value.code == 1013


class BrokenTranscriber(EnergyTranscriber):
    def load(self) -> None:
        raise RuntimeError("model.bin missing")


def test_a_transcriber_that_cannot_load_closes_with_1011(store: SqlStore, rasa: FakeRasa) -> None:
    with (
        TestClient(make_app(store, rasa, BrokenTranscriber())) as c,
        c.websocket_connect("/ws/voice") as ws,
    ):
        assert start(ws)["code"] == "asr_unavailable"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1011


class ToneRecognizer:
    """Hears the pitch of a tone: "音调N" with N its frequency in hundreds of Hz."""

    def __init__(self) -> None:
        self.samples: list[np.ndarray] = []
        self.quiet = 0
        self.speech_active = False

    def accept(self, pcm: bytes) -> list[Transcript]:
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if np.abs(x).max(initial=0) > 1000:
            self.samples.append(x)
            self.speech_active, self.quiet = True, 0
            return []
        self.quiet += len(x)
        if self.speech_active and self.quiet > SAMPLE_RATE // 2:
            self.speech_active = False
            signal = np.concatenate(self.samples)
            self.samples = []
            freq = np.argmax(np.abs(np.fft.rfft(signal))) * SAMPLE_RATE / len(signal)
            return [
                Transcript(f"音调{round(freq / 100)}", 0.9, "tone", len(signal) / SAMPLE_RATE, 0.0)
            ]
        return []

    def finish(self) -> Transcript | None:
        return None


class ToneTranscriber(EnergyTranscriber):
    name = "tone"

    def stream(self) -> ToneRecognizer:  # type: ignore[override]
        return ToneRecognizer()


def test_three_concurrent_callers_each_have_their_own_recognizer(
    store: SqlStore, rasa: FakeRasa
) -> None:
    import websockets

    transcriber = ToneTranscriber()
    app = make_app(store, rasa, transcriber)

    async def caller(n: int, freq: float) -> list[str]:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/voice") as ws:
            await ws.send(
                json.dumps({"type": "start", "session_id": f"c-{n}", "reply_audio": "none"})
            )
            pcm = (silence(0.2) + tone(0.8, freq=freq) + silence(0.7)) * 2
            for chunk in chunks(pcm, ms=40):
                await ws.send(chunk)
                await asyncio.sleep(0.01)
            await ws.send(json.dumps({"type": "stop"}))
            finals = []
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "final":
                    finals.append(message["text"])
            return finals

    async def all_callers() -> list[list[str]]:
        return list(await asyncio.gather(caller(1, 300), caller(2, 500), caller(3, 800)))

    with serve_app(app, timeout_s=10) as port:
        results = asyncio.run(all_callers())
    assert results == [["音调3", "音调3"], ["音调5", "音调5"], ["音调8", "音调8"]]
    assert transcriber.loaded == 1  # the model is shared: loaded once for all calls
    assert {t.session_id for n in (1, 2, 3) for t in store.get_turns(f"c-{n}")} == {
        "c-1",
        "c-2",
        "c-3",
    }
