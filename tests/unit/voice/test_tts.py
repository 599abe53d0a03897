"""Speech out: pinyin for espeak-ng, its WAV, and the synthesizer (real espeak-ng when the
Debian package is installed; fake programs for the failure paths)."""

from __future__ import annotations

import shutil
import stat
import struct
from pathlib import Path

import numpy as np
import pytest

from bot.errors import BotError
from bot.voice.base import SAMPLE_RATE
from bot.voice.tts import EspeakSynthesizer, TtsError, parse_wav, to_pinyin

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed (apt-get install -y espeak-ng)",
)

# speakable() ends every text with a full stop, which espeak-ng reads as a pause.
PINYIN = [
    ("您好，请说。", "nin2 hao3 , qing3 shuo1 ."),
    ("12345热线", "yi1 er4 san1 si4 wu3 re4 xian4 ."),
    ("办理需要15个工作日", "ban4 li3 xu1 yao4 shi2 wu3 ge4 gong1 zuo4 ri4 ."),
    ("银行", "yin2 hang2 ."),
    ("绿色", "lv4 se4 ."),
    ("海川办App", "hai3 chuan1 ban4 A P P ."),
    ("。。好", "hao3 ."),
]


@pytest.mark.parametrize(("text", "pinyin"), PINYIN)
def test_to_pinyin(text: str, pinyin: str) -> None:
    assert to_pinyin(text) == pinyin


def _wav(pcm: bytes, rate: int = 22050, channels: int = 1, data_size: int | None = None) -> bytes:
    size = len(pcm) if data_size is None else data_size
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", size)
        + pcm
    )


def test_parse_wav_reads_to_the_end_when_the_header_size_is_a_placeholder() -> None:
    pcm = np.arange(100, dtype="<i2").tobytes()
    assert parse_wav(_wav(pcm, data_size=0x7FFFF000)) == (pcm, 22050, 1)


def test_parse_wav_drops_a_half_frame_at_the_end() -> None:
    assert (
        parse_wav(_wav(b"\x01\x00\x02\x00\x03", channels=1, data_size=5))[0] == b"\x01\x00\x02\x00"
    )


def test_parse_wav_rejects_what_is_not_wav() -> None:
    with pytest.raises(TtsError, match="did not return WAV"):
        parse_wav(b"espeak: error")


def test_parse_wav_rejects_8_bit_audio() -> None:
    wav = bytearray(_wav(b"\x00" * 10))
    wav[34:36] = struct.pack("<H", 8)
    with pytest.raises(TtsError, match="8-bit"):
        parse_wav(bytes(wav))


@needs_espeak
def test_espeak_speaks_chinese_as_16_khz_audio() -> None:
    audio = EspeakSynthesizer().synthesize("您好，这里是海川市12345热线。")
    samples = np.frombuffer(audio.pcm, dtype="<i2")
    assert audio.sample_rate == SAMPLE_RATE
    assert 1.5 < audio.duration_s < 8.0
    assert np.abs(samples).max() > 3000  # real speech, not silence


@needs_espeak
def test_longer_text_gives_longer_audio() -> None:
    tts = EspeakSynthesizer()
    assert (
        tts.synthesize("好的。请稍候，正在为您转接人工客服。").duration_s
        > tts.synthesize("好的。").duration_s
    )


@needs_espeak
def test_the_same_text_comes_from_the_cache() -> None:
    tts = EspeakSynthesizer()
    assert tts.synthesize("请问这个回答对您有帮助吗？") is tts.synthesize(
        "请问这个回答对您有帮助吗？"
    )


@needs_espeak
def test_load_checks_the_voice() -> None:
    EspeakSynthesizer().load()
    with pytest.raises(TtsError, match="no voice 'xx-none'"):
        EspeakSynthesizer(voice="xx-none").load()


def test_text_with_nothing_to_say_gives_empty_audio_without_running_espeak() -> None:
    assert EspeakSynthesizer(executable="/nonexistent/espeak").synthesize("……").pcm == b""


def test_a_missing_program_says_how_to_install_it() -> None:
    with pytest.raises(TtsError, match="apt-get install -y espeak-ng"):
        EspeakSynthesizer(executable="/nonexistent/espeak").synthesize("你好")


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-espeak"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_a_failing_program_reports_its_exit_code_and_message(tmp_path: Path) -> None:
    tts = EspeakSynthesizer(executable=_script(tmp_path, "echo 'voice not found' >&2; exit 3"))
    with pytest.raises(TtsError, match=r"exit 3\): voice not found"):
        tts.synthesize("你好")


def test_a_hanging_program_times_out(tmp_path: Path) -> None:
    tts = EspeakSynthesizer(executable=_script(tmp_path, "sleep 5"), timeout_s=0.3)
    with pytest.raises(TtsError, match="took over"):
        tts.synthesize("你好")


def test_bad_speed_is_refused() -> None:
    with pytest.raises(TtsError, match="speed 10"):
        EspeakSynthesizer(speed_wpm=10)


def test_tts_errors_are_bot_errors() -> None:
    assert issubclass(TtsError, BotError)
