"""Audio in: every container and rate decodes to 16 kHz mono with the tone intact; every bad
input is an InputError naming the file and the problem."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from bot.errors import InputError
from bot.voice.audio import (
    StreamResampler,
    decode_bytes,
    decode_file,
    downmix_pcm,
    float32_to_pcm16,
    pcm16_to_float32,
    resample_pcm,
    wav_declared_seconds,
)
from tests.unit.voice.audio_files import dominant_hz, pcm16, rms, tone, write_audio

MONO_RMS = 0.5 / np.sqrt(2)  # a 0.5-amplitude sine

CASES = [
    (kind, rate, channels)
    for kind in ("wav", "flac", "mp3", "ogg", "webm")
    for rate in (8000, 16000, 44100, 48000)
    for channels in (1, 2)
    if not (kind in ("ogg", "webm") and rate == 44100)  # Opus has no 44.1 kHz mode
]


@pytest.mark.parametrize(("kind", "rate", "channels"), CASES)
def test_container_decodes_to_16k_mono(tmp_path: Path, kind: str, rate: int, channels: int) -> None:
    path = write_audio(tmp_path / f"tone.{kind}", kind, rate, channels)
    audio = decode_file(path)
    assert audio.sample_rate == 16000
    assert audio.duration_s == pytest.approx(1.0, abs=0.08)
    assert dominant_hz(audio.pcm) == pytest.approx(440, abs=3)
    # stereo: tone left, silence right, so the downmix is half as loud
    assert rms(audio.pcm) == pytest.approx(MONO_RMS / channels, rel=0.1)


def test_44k_stereo_keeps_pitch(tmp_path: Path) -> None:
    """44.1 kHz (CD, most desktop recorders) as WAV keeps its pitch after resampling."""
    audio = decode_file(write_audio(tmp_path / "cd.wav", "wav", 44100, 2, freq=1000))
    assert dominant_hz(audio.pcm) == pytest.approx(1000, abs=3)


def test_decode_bytes_with_hint(tmp_path: Path) -> None:
    data = write_audio(tmp_path / "a.webm", "webm", 48000).read_bytes()
    audio = decode_bytes(data, "webm")
    assert dominant_hz(audio.pcm) == pytest.approx(440, abs=3)


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_raw_pcm_at_rate(rate: int) -> None:
    audio = decode_bytes(pcm16(tone(rate)), "pcm", sample_rate=rate)
    assert audio.duration_s == pytest.approx(1.0, abs=0.001)
    assert dominant_hz(audio.pcm) == pytest.approx(440, abs=2)


def test_raw_pcm_stereo_downmix() -> None:
    left = tone(8000)
    frames = np.stack([left, left], axis=1).reshape(-1)
    audio = decode_bytes(pcm16(frames), "raw", sample_rate=8000, channels=2)
    assert audio.duration_s == pytest.approx(1.0, abs=0.001)
    assert rms(audio.pcm) == pytest.approx(MONO_RMS, rel=0.02)


def test_raw_pcm_file_needs_rate(tmp_path: Path) -> None:
    path = tmp_path / "call.pcm"
    path.write_bytes(pcm16(tone(8000)))
    with pytest.raises(InputError, match=r"call\.pcm.*sample rate"):
        decode_file(path)
    assert decode_file(path, sample_rate=8000).duration_s == pytest.approx(1.0)


def test_raw_pcm_odd_bytes() -> None:
    with pytest.raises(InputError, match="not a whole number of 16-bit"):
        decode_bytes(b"\x00\x01\x02", "pcm", sample_rate=16000)


def test_raw_pcm_bad_rate() -> None:
    with pytest.raises(InputError, match="rate 100 Hz"):
        decode_bytes(b"\x00\x00", "pcm", sample_rate=100)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.wav: is empty \(0 bytes\)"):
        decode_file(path)


def test_empty_raw_pcm() -> None:
    with pytest.raises(InputError, match="is empty"):
        decode_bytes(b"", "pcm", sample_rate=8000)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such audio file"):
        decode_file(tmp_path / "nope.wav")


def test_a_folder_is_named_as_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder; name its files .*bot replay-audio"):
        decode_file(tmp_path)


def test_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("这不是音频文件" * 50, encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.mp3: cannot be decoded as audio"):
        decode_file(path)


def test_zero_length_wav(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    with pytest.raises(InputError, match=r"zero\.wav.*(no audio samples|cannot be decoded)"):
        decode_file(path)


def test_truncated_wav(tmp_path: Path) -> None:
    data = write_audio(tmp_path / "full.wav", "wav", 16000, seconds=2.0).read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.wav: is truncated: its header says 2\.00 s"):
        decode_file(path)


def test_truncated_flac(tmp_path: Path) -> None:
    data = write_audio(tmp_path / "full.flac", "flac", 16000, seconds=2.0).read_bytes()
    with pytest.raises(InputError, match=r"cut\.flac: is (damaged or cut off|truncated)"):
        decode_bytes(data[: len(data) // 2], "flac", name="cut.flac")


def test_streaming_wav_header_is_not_truncation(tmp_path: Path) -> None:
    """Recorders that stream write 0xFFFFFFFF as the data size: that is not a cut-off file."""
    data = bytearray(write_audio(tmp_path / "a.wav", "wav", 16000).read_bytes())
    at = data.find(b"data")
    data[at + 4 : at + 8] = b"\xff\xff\xff\xff"
    assert wav_declared_seconds(bytes(data)) is None
    assert decode_bytes(bytes(data), "wav").duration_s == pytest.approx(1.0, abs=0.01)


def test_silence_decodes() -> None:
    audio = decode_bytes(bytes(32000), "pcm", sample_rate=16000)
    assert audio.duration_s == 1.0
    assert rms(audio.pcm) == 0.0


def test_clipped_decodes(tmp_path: Path) -> None:
    audio = decode_file(write_audio(tmp_path / "loud.wav", "wav", 16000, amp=3.0))
    samples = np.frombuffer(audio.pcm, dtype="<i2")
    assert samples.max() >= 32000 and samples.min() <= -32000
    assert dominant_hz(audio.pcm) == pytest.approx(440, abs=3)


def test_over_length_limit_raw(tmp_path: Path) -> None:
    path = tmp_path / "long.raw"
    path.write_bytes(bytes(8000 * 2 * 5))
    limit = r"5 s of audio is over the 3 s limit \(BOT_ASR_MAX_SECONDS\)"
    with pytest.raises(InputError, match=limit):
        decode_file(path, sample_rate=8000, max_seconds=3)


def test_over_length_limit_container(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "long.flac", "flac", 16000, seconds=4.0)
    with pytest.raises(InputError, match="over the 2 s limit"):
        decode_file(path, max_seconds=2)


def test_webm_without_duration_stops_at_limit(tmp_path: Path) -> None:
    """A browser recording may declare no duration: decoding still stops at the limit."""
    data = write_audio(tmp_path / "long.webm", "webm", 48000, seconds=3.0).read_bytes()
    with pytest.raises(InputError, match="over the 1 s limit"):
        decode_bytes(data, "webm", max_seconds=1)


def test_pcm_float_round_trip() -> None:
    samples = np.array([0.0, 0.5, -0.5, 0.999, -1.0], dtype=np.float32)
    back = pcm16_to_float32(float32_to_pcm16(samples))
    assert np.allclose(back, samples, atol=1 / 32768)


def test_float_to_pcm_clips() -> None:
    out = np.frombuffer(float32_to_pcm16(np.array([2.0, -2.0])), dtype="<i2")
    assert out.tolist() == [32767, -32768]


def test_pcm16_to_float_odd_bytes() -> None:
    with pytest.raises(InputError, match="odd number of bytes"):
        pcm16_to_float32(b"\x00")


def test_resample_telephone_round_trip() -> None:
    narrow = resample_pcm(pcm16(tone(16000)), 16000, 8000)
    assert len(narrow) == 16000  # 8000 samples
    wide = resample_pcm(narrow, 8000, 16000)
    assert len(wide) == 32000
    assert dominant_hz(wide) == pytest.approx(440, abs=2)


def test_resample_removes_what_8k_cannot_carry() -> None:
    """A 6 kHz tone is above the 4 kHz Nyquist limit of 8 kHz: it must vanish, not alias."""
    narrow = resample_pcm(pcm16(tone(16000, freq=6000)), 16000, 8000)
    assert rms(narrow) < 0.01


def test_downmix_mean() -> None:
    stereo = np.array([1000, 3000, -2000, 0], dtype="<i2").tobytes()
    assert np.frombuffer(downmix_pcm(stereo, 2), dtype="<i2").tolist() == [2000, -1000]


def test_stream_resampler_matches_whole() -> None:
    pcm = pcm16(tone(8000, seconds=2.0))
    resampler = StreamResampler(8000, 16000)
    chunks = [resampler.process(pcm[i : i + 321]) for i in range(0, len(pcm), 321)]
    out = b"".join(chunks) + resampler.flush()
    assert len(out) == pytest.approx(64000, abs=64)
    assert dominant_hz(out) == pytest.approx(440, abs=2)


def test_decode_bytes_unknown_container() -> None:
    with pytest.raises(InputError, match="cannot be decoded as audio"):
        decode_bytes(io.BytesIO(b"RIFF....WAVEjunk").getvalue(), "wav", name="x.wav")
