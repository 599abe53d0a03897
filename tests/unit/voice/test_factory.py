"""Engine choice: auto takes Vosk only when a Vosk model folder is configured and exists."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import PROJECT_ROOT
from bot.voice.config import VoiceSettings
from bot.voice.factory import choose_engine, make_transcriber
from bot.voice.vosk_engine import VoskTranscriber
from bot.voice.whisper import WhisperTranscriber

KB = PROJECT_ROOT / "knowledge_base"


def test_auto_without_vosk_is_whisper() -> None:
    choice = choose_engine(VoiceSettings())
    assert (choice.engine, choice.reason) == ("whisper", "no Vosk model configured")


def test_auto_with_vosk_dir_is_vosk(tmp_path: Path) -> None:
    choice = choose_engine(VoiceSettings(vosk_model_dir=tmp_path))
    assert choice.engine == "vosk"
    assert str(tmp_path) in choice.reason


def test_auto_with_missing_vosk_dir_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        choice = choose_engine(VoiceSettings(vosk_model_dir=tmp_path / "gone"))
    assert choice.engine == "whisper"
    assert "does not exist" in caplog.text


def test_override_beats_setting(tmp_path: Path) -> None:
    assert choose_engine(VoiceSettings(vosk_model_dir=tmp_path), "whisper").engine == "whisper"


def test_vosk_without_dir_is_an_error() -> None:
    with pytest.raises(ConfigError, match="needs BOT_VOSK_MODEL_DIR"):
        choose_engine(VoiceSettings(), "vosk")


def test_unknown_engine() -> None:
    with pytest.raises(ConfigError, match="'deepspeech' is not one of"):
        choose_engine(VoiceSettings(), "deepspeech")


def test_make_whisper_logs_choice(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.voice.factory"):
        engine = make_transcriber(VoiceSettings(asr_threads=1), KB)
    assert isinstance(engine, WhisperTranscriber)
    assert "ASR engine: whisper (no Vosk model configured)" in caplog.text
    assert engine.prompt == ""  # measured: the prompt raises CER on real recordings
    assert engine.options.cpu_threads == 1


def test_domain_prompt_when_asked() -> None:
    engine = make_transcriber(VoiceSettings(asr_prompt="domain"), KB)
    assert isinstance(engine, WhisperTranscriber)
    assert "社保卡" in engine.prompt


def test_make_vosk_is_not_loaded_yet(tmp_path: Path) -> None:
    engine = make_transcriber(VoiceSettings(vosk_model_dir=tmp_path))
    assert isinstance(engine, VoskTranscriber)
    with pytest.raises(ConfigError, match="does not look like a Vosk model"):
        engine.load()


def test_whisper_settings_reach_the_engine() -> None:
    voice = VoiceSettings.load(environ={"BOT_ASR_BEAM": "1", "BOT_ASR_END_SILENCE_S": "0.5",
                                        "BOT_ASR_EARLY_S": "0", "BOT_ASR_WORKERS": "2",
                                        "BOT_ASR_LM_WEIGHT": "0.7",
                                        "BOT_ASR_LM_DIR": "/srv/lm"},
                               dotenv=None)
    engine = make_transcriber(voice, KB)
    assert isinstance(engine, WhisperTranscriber)
    assert engine.options.beam_size == 1
    assert engine.options.lm_weight == 0.7
    assert engine.lm_dir == Path("/srv/lm")
    assert engine.options.workers == 2
    assert engine.vad.end_silence_s == 0.5
    assert engine.early_decode_s is None  # 0: early decoding off


def test_unset_whisper_settings_keep_the_measured_defaults() -> None:
    engine = make_transcriber(VoiceSettings.load(environ={}, dotenv=None), KB)
    assert isinstance(engine, WhisperTranscriber)
    defaults = WhisperTranscriber(Path("/nonexistent"))
    assert engine.options.beam_size == defaults.options.beam_size == 10
    assert engine.options.nbest == 10 and engine.options.lm_weight == 0.3
    assert engine.lm_dir == PROJECT_ROOT / "build" / "models" / "asr-lm"
    assert defaults.lm_dir is None  # built by hand: no rescoring unless given an LM
    assert engine.options.workers == 2  # two callers decode side by side
    assert engine.vad == defaults.vad
    assert engine.early_decode_s == defaults.early_decode_s == 0.3
