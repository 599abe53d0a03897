"""Recorded calls through the voice path against the real gateway app in-process (scripted
rasa, real SqlStore), with the energy-triggered fake transcriber."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from bot.cli.replay_audio_cmd import run as run_cmd
from bot.errors import BotError
from bot.gateway.app import create_app
from bot.gateway.conversation import ConversationService
from bot.replay import summarize
from bot.settings import Settings
from bot.store.base import Channel
from bot.store.sql import SqlStore
from bot.voice.base import SAMPLE_RATE
from bot.voice.fake import EnergyTranscriber
from bot.voice.replay_audio import audio_files, audio_summary, replay_folder
from bot.voice.wav import wav_bytes
from tests.unit.gateway.gateway_fakes import (
    FakeEngine,
    FakeRasa,
    faq_payload,
    free_port,
    rest_items,
    serve_app,
)

QUESTION = "身份证丢了怎么补办"
ANSWER = "携带户口簿到户籍所在地派出所申请补领。"


def _call(seconds_of_speech: float) -> bytes:
    t = np.arange(int(seconds_of_speech * SAMPLE_RATE)) / SAMPLE_RATE
    speech = (np.sin(2 * np.pi * 200 * t) * 9000).astype("<i2").tobytes()
    return wav_bytes(b"\x00\x00" * 8000 + speech + b"\x00\x00" * 16000)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    calls = tmp_path / "calls"
    calls.mkdir()
    (calls / "a_question.wav").write_bytes(_call(1.0))
    (calls / "b_silence.wav").write_bytes(wav_bytes(b"\x00\x00" * 32000))
    (calls / "c_broken.mp3").write_bytes(b"not audio at all")
    (calls / "notes.txt").write_text("not a call")
    return calls


def _gateway(tmp_path: Path) -> tuple[Any, SqlStore, Settings]:
    """The real gateway app over a real store, with rasa scripted to answer QUESTION."""
    store = SqlStore(f"sqlite:///{tmp_path / 'bot.db'}")
    rasa = FakeRasa()
    rasa.replies[QUESTION] = rest_items(
        ANSWER, custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93)])
    )
    settings = Settings(data_dir=tmp_path, actions_port=free_port())
    conversation = ConversationService(rasa, FakeEngine(), store, 2000)  # type: ignore[arg-type]
    app = create_app(settings, conversation, store, FakeEngine(), rasa)  # type: ignore[arg-type]
    return app, store, settings


def _replay(tmp_path: Path, folder: Path) -> tuple[list, SqlStore]:
    app, store, _ = _gateway(tmp_path)
    transport = httpx.ASGITransport(app=app)
    rows = asyncio.run(
        replay_folder(
            "http://gateway",
            audio_files(folder),
            EnergyTranscriber(QUESTION),
            None,
            transport=transport,
        )
    )
    return rows, store


def test_each_file_is_one_call_with_its_outcome(tmp_path: Path, folder: Path) -> None:
    rows, store = _replay(tmp_path, folder)
    question, silent, broken = rows
    assert [Path(r.file).name for r in rows] == ["a_question.wav", "b_silence.wav", "c_broken.mp3"]
    assert (question.transcript, question.utterances, question.asr_confidence) == (QUESTION, 1, 0.9)
    assert (question.row.decision, question.row.faq_id, question.row.outcome) == (
        "answer",
        "SFZ001",
        "deflected",
    )
    assert question.row.reply == ANSWER
    assert question.duration_s == pytest.approx(2.5)
    [turn] = store.get_turns(question.row.session_id)
    assert turn.channel is Channel.VOICE and turn.text == QUESTION
    assert (silent.row.decision, silent.row.outcome, silent.row.turns) == (
        "no_speech",
        "no_speech",
        0,
    )
    assert broken.row.decision == "error" and "cannot decode" in broken.row.error
    store.close()


def test_the_summary_is_replays_plus_the_audio_side(tmp_path: Path, folder: Path) -> None:
    rows, store = _replay(tmp_path, folder)
    summary = summarize([r.row for r in rows])
    assert summary["rows"] == 3 and summary["errors"] == 1
    assert summary["outcomes"] == {"deflected": 1, "no_speech": 1}
    audio = audio_summary(rows)
    assert (audio["files"], audio["no_speech"], audio["utterances"]) == (3, 1, 1)
    assert audio["audio_s"] == pytest.approx(4.5)
    store.close()


def test_a_folder_without_audio_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(BotError, match="holds no audio files"):
        audio_files(tmp_path)


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BotError, match="not a folder"):
        audio_files(tmp_path / "nope")


def test_the_command_says_when_no_bot_is_running(tmp_path: Path, folder: Path) -> None:
    args = argparse.Namespace(
        folder=folder,
        out=None,
        json=False,
        engine=None,
        limit=None,
        rate=None,
        no_tts=True,
        url=f"http://127.0.0.1:{free_port()}",
    )
    with pytest.raises(BotError, match="start it with `bot serve`"):
        run_cmd(args, Settings(data_dir=tmp_path))


def test_the_command_refuses_a_zero_limit(tmp_path: Path, folder: Path) -> None:
    args = argparse.Namespace(
        folder=folder, out=None, json=False, engine=None, limit=0, rate=None, no_tts=True, url=None
    )
    with pytest.raises(BotError, match="--limit 0"):
        run_cmd(args, Settings(data_dir=tmp_path))


def test_the_command_fails_when_a_recording_could_not_be_replayed(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As `bot transcribe`: every other call is replayed and counted, and the exit status
    says that one failed (the folder holds an undecodable .mp3)."""
    import bot.voice.factory

    app, _, settings = _gateway(tmp_path)
    monkeypatch.setattr(bot.voice.factory, "make_transcriber",
                        lambda *a, **k: EnergyTranscriber(QUESTION))
    with serve_app(app, timeout_s=10) as port:
        args = argparse.Namespace(folder=folder, out=None, json=False, engine=None, limit=None,
                                  rate=None, no_tts=True, url=f"http://127.0.0.1:{port}")
        status = run_cmd(args, settings)
    out, err = capsys.readouterr()
    assert status == 1
    assert "回放 3 条（错误 1）" in out
    assert "1 通录音回放出错" in err
