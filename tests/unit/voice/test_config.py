"""VoiceSettings: defaults, each key, and a clear error for each invalid value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings
from bot.voice.config import VoiceSettings


def load(**env: str) -> VoiceSettings:
    return VoiceSettings.load(environ=env, dotenv=None)


def test_defaults() -> None:
    voice = load()
    assert voice.asr_engine == "auto"
    assert voice.vosk_model_dir is None
    assert voice.whisper_model_dir.parts[-3:] == ("build", "models", "whisper-base")
    assert voice.asr_max_seconds == 600
    assert voice.asr_prompt == "none"
    assert (voice.asr_beam, voice.asr_end_silence_s, voice.asr_early_s) == (None, None, None)


def test_whisper_dir_follows_build_dir(tmp_path: Path) -> None:
    settings = Settings(build_dir=tmp_path)
    voice = VoiceSettings.load(settings, environ={}, dotenv=None)
    assert voice.whisper_model_dir == tmp_path / "models" / "whisper-base"


def test_keys(tmp_path: Path) -> None:
    voice = load(BOT_ASR_ENGINE="Vosk", BOT_VOSK_MODEL_DIR=str(tmp_path),
                 BOT_WHISPER_MODEL_DIR=str(tmp_path / "w"), BOT_ASR_MAX_SECONDS="90",
                 BOT_ASR_THREADS="1", BOT_ASR_PARTIAL_S="1.5", BOT_ASR_PROMPT="Domain")
    assert voice == VoiceSettings("vosk", tmp_path, tmp_path / "w", 90.0, 1, 1.5, "domain")


def test_streaming_keys() -> None:
    voice = load(BOT_ASR_BEAM="1", BOT_ASR_END_SILENCE_S="0.6", BOT_ASR_EARLY_S="0")
    assert (voice.asr_beam, voice.asr_end_silence_s, voice.asr_early_s) == (1, 0.6, 0.0)


def test_dotenv(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("BOT_ASR_ENGINE=whisper\nBOT_ASR_MAX_SECONDS=120\n", encoding="utf-8")
    voice = VoiceSettings.load(environ={"BOT_ASR_MAX_SECONDS": "30"}, dotenv=env)
    assert (voice.asr_engine, voice.asr_max_seconds) == ("whisper", 30.0)


@pytest.mark.parametrize(
    ("env", "message"),
    [({"BOT_ASR_ENGINE": "kaldi"}, r"BOT_ASR_ENGINE='kaldi' is not one of auto, vosk, whisper"),
     ({"BOT_ASR_MAX_SECONDS": "ten"}, r"BOT_ASR_MAX_SECONDS='ten' is not a number"),
     ({"BOT_ASR_MAX_SECONDS": "0"}, r"BOT_ASR_MAX_SECONDS='0' must be between"),
     ({"BOT_ASR_THREADS": "1.5"}, r"BOT_ASR_THREADS='1.5' must be a whole number"),
     ({"BOT_ASR_PARTIAL_S": "0.1"}, r"BOT_ASR_PARTIAL_S='0.1' must be 0 \(off\) or between"),
     ({"BOT_ASR_PROMPT": "yes"}, r"BOT_ASR_PROMPT='yes' is not one of none, domain"),
     ({"BOT_ASR_ENGINE": "vosk"}, r"BOT_ASR_ENGINE=vosk needs BOT_VOSK_MODEL_DIR"),
     ({"BOT_ASR_BEAM": "0"}, r"BOT_ASR_BEAM='0' must be a whole number 1-10"),
     ({"BOT_ASR_BEAM": "wide"}, r"BOT_ASR_BEAM='wide' is not a number"),
     ({"BOT_ASR_END_SILENCE_S": "0.1"}, r"BOT_ASR_END_SILENCE_S='0.1' must be between 0.2"),
     ({"BOT_ASR_EARLY_S": "0.05"}, r"BOT_ASR_EARLY_S='0.05' must be 0 \(off\) or between"),
     ({"BOT_ASR_WORKERS": "0"}, r"BOT_ASR_WORKERS='0' must be a whole number 1-16"),
     ({"BOT_ASR_WORKERS": "two"}, r"BOT_ASR_WORKERS='two' is not a number"),
     ({"BOT_ASR_EARLY_S": "2"}, r"BOT_ASR_EARLY_S='2' must be shorter than the silence that "
                                r"ends an utterance \(0.7 s"),
     ({"BOT_ASR_EARLY_S": "0.5", "BOT_ASR_END_SILENCE_S": "0.4"},
      r"BOT_ASR_EARLY_S='0.5' must be shorter .*\(0.4 s")],
)
def test_invalid(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(**env)
