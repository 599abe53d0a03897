"""`bot transcribe`: text lines, the JSON list, one bad file among good ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.voice import factory
from bot.voice.base import Audio, Transcript, Word
from tests.unit.voice.audio_files import write_audio


class FakeTranscriber:
    name = "whisper"

    def __init__(self) -> None:
        self.loaded = False

    def load(self) -> None:
        self.loaded = True

    def transcribe(self, audio: Audio) -> Transcript:
        assert self.loaded
        return Transcript("社保卡丢了怎么办", 0.87, "whisper", audio.duration_s, 0.25,
                          (Word("社保卡", 0.0, 0.4, 0.9),))

    def stream(self) -> Any:
        raise NotImplementedError


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(factory, "make_transcriber", lambda *a, **k: FakeTranscriber())
    monkeypatch.delenv("BOT_ASR_ENGINE", raising=False)
    monkeypatch.delenv("BOT_VOSK_MODEL_DIR", raising=False)


def test_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_audio(tmp_path / "call.wav", "wav", 8000)
    assert main(["transcribe", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"{path}\t社保卡丢了怎么办\tconfidence 0.87\t1.00 s audio in 0.25 s" in out
    assert "ASR engine: whisper (no Vosk model configured)" in err


def test_json_with_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_audio(tmp_path / "good.flac", "flac", 48000, channels=2)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 10)
    later = write_audio(tmp_path / "later.mp3", "mp3", 16000)
    assert main(["transcribe", "--json", str(good), str(bad), str(later)]) == 1
    items = json.loads(capsys.readouterr().out)
    assert [Path(i["file"]).name for i in items] == ["good.flac", "bad.wav", "later.mp3"]
    assert items[0]["text"] == "社保卡丢了怎么办"
    assert items[0]["engine"] == "whisper"
    assert items[0]["duration_s"] == pytest.approx(1.0, abs=0.05)
    assert items[0]["processing_s"] == 0.25
    assert items[0]["confidence"] == 0.87
    assert items[0]["words"][0]["text"] == "社保卡"
    assert "cannot be decoded as audio" in items[1]["error"]
    assert items[2]["text"] == "社保卡丢了怎么办"


def test_raw_pcm_with_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "leg.raw"
    raw.write_bytes(bytes(8000 * 2))
    assert main(["transcribe", "--json", "--rate", "8000", str(raw)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["duration_s"] == 1.0


def test_vosk_without_model_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_audio(tmp_path / "a.wav", "wav", 16000)
    assert main(["transcribe", "--engine", "vosk", str(path)]) == 1
    assert "Error: the vosk engine needs BOT_VOSK_MODEL_DIR" in capsys.readouterr().err


def test_missing_file_text_mode(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["transcribe", str(tmp_path / "gone.wav")]) == 1
    expected = f"Error: {tmp_path / 'gone.wav'}: no such audio file"
    assert expected in capsys.readouterr().err
