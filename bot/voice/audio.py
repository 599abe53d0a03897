"""Audio in: decode any container a caller or a recorder produces to the bot's 16 kHz mono
int16 PCM (`Audio`), and the PCM helpers the engines and the telephone adapters share.

Containers (WAV, FLAC, MP3, OGG/Opus/Vorbis, WebM/Opus) go through PyAV (FFmpeg's decoders);
raw 16-bit little-endian PCM needs its rate and channel count from the caller, since it
carries no header. Every failure is an InputError naming the file and what is wrong.
"""

from __future__ import annotations

import io
from math import gcd
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import InputError
from bot.voice.base import SAMPLE_RATE, Audio

DEFAULT_MAX_SECONDS = 600.0
RAW_HINTS = frozenset({"pcm", "raw", "s16le", "l16"})
RAW_SUFFIXES = frozenset({".pcm", ".raw", ".s16", ".l16"})
# A declared duration this much longer than what decodes means a cut-off file. Loose on
# purpose: MP3 durations are estimated from the bitrate, and encoders pad a few frames.
_TRUNCATED_SLACK_S = 0.5
_TRUNCATED_SLACK_SHARE = 0.05
_SUPPORTED = "WAV, FLAC, MP3, OGG (Opus/Vorbis), WebM/Opus, or raw 16-bit PCM with its rate"


def pcm16_to_float32(pcm: bytes) -> np.ndarray:
    """int16 little-endian bytes -> float32 samples in [-1, 1)."""
    if len(pcm) % 2:
        raise InputError(
            f"PCM holds an odd number of bytes ({len(pcm)}); 16-bit PCM has two a sample"
        )
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float32_to_pcm16(samples: np.ndarray) -> bytes:
    """float samples in [-1, 1] -> int16 little-endian bytes (clipped, rounded)."""
    scaled = np.clip(np.asarray(samples, dtype=np.float64) * 32768.0, -32768, 32767)
    return np.rint(scaled).astype("<i2").tobytes()


def resample_pcm(pcm: bytes, rate_from: int, rate_to: int) -> bytes:
    """Resample mono int16 PCM with a polyphase FIR (scipy's resample_poly: a Kaiser-window
    low-pass, so 48 kHz -> 16 kHz does not alias and 8 kHz -> 16 kHz adds no images)."""
    if rate_from <= 0 or rate_to <= 0:
        raise InputError(f"sample rates must be positive, got {rate_from} -> {rate_to}")
    if rate_from == rate_to or not pcm:
        return pcm
    from scipy.signal import resample_poly

    common = gcd(rate_from, rate_to)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    out = resample_poly(samples, rate_to // common, rate_from // common)
    return np.rint(np.clip(out, -32768, 32767)).astype("<i2").tobytes()


def downmix_pcm(pcm: bytes, channels: int) -> bytes:
    """Interleaved int16 PCM of `channels` channels -> mono (mean, so no overflow)."""
    if channels == 1:
        return pcm
    frame = 2 * channels
    usable = len(pcm) - len(pcm) % frame
    samples = np.frombuffer(pcm[:usable], dtype="<i2").reshape(-1, channels)
    return np.rint(samples.astype(np.float64).mean(axis=1)).astype("<i2").tobytes()


def decode_raw_pcm(
    data: bytes,
    sample_rate: int,
    channels: int = 1,
    name: str = "<raw pcm>",
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
) -> Audio:
    """Headerless 16-bit little-endian PCM at `sample_rate` -> Audio."""
    if sample_rate not in range(4000, 192001):
        raise InputError(f"{name}: raw PCM rate {sample_rate} Hz is not in 4000-192000 Hz")
    if channels not in range(1, 9):
        raise InputError(f"{name}: raw PCM channel count {channels} is not in 1-8")
    if not data:
        raise InputError(f"{name}: is empty (0 bytes); expected 16-bit PCM samples")
    if len(data) % (2 * channels):
        raise InputError(
            f"{name}: {len(data)} bytes is not a whole number of 16-bit {channels}-channel "
            "frames: the data is cut off or is not 16-bit PCM"
        )
    seconds = len(data) / (2 * channels * sample_rate)
    _check_length(name, seconds, max_seconds)
    mono = downmix_pcm(data, channels)
    return Audio(resample_pcm(mono, sample_rate, SAMPLE_RATE))


def decode_bytes(
    data: bytes,
    hint: str | None = None,
    *,
    sample_rate: int | None = None,
    channels: int = 1,
    name: str = "<audio bytes>",
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
) -> Audio:
    """Decode a whole file held in memory. `hint` is a format name or suffix ("wav", ".webm",
    "pcm"); "pcm"/"raw" (or a `sample_rate` without a hint) means headerless 16-bit PCM."""
    kind = (hint or "").lower().lstrip(".")
    if kind in RAW_HINTS or (not kind and sample_rate is not None):
        if sample_rate is None:
            raise InputError(f"{name}: raw PCM needs its sample rate (e.g. 8000 or 16000)")
        return decode_raw_pcm(data, sample_rate, channels, name, max_seconds)
    if not data:
        raise InputError(f"{name}: is empty (0 bytes); expected {_SUPPORTED}")
    return _decode_container(io.BytesIO(data), name, max_seconds, wav_declared_seconds(data[:4096]))


def decode_file(
    path: str | Path,
    *,
    sample_rate: int | None = None,
    channels: int = 1,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
) -> Audio:
    """Decode an audio file; `.pcm`/`.raw` files (or any file with `sample_rate` given) are
    read as headerless 16-bit PCM."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; name its files ({path}/*.wav) or replay the "
                         "whole folder with `bot replay-audio`")
    if not path.is_file():
        raise InputError(f"{path}: no such audio file")
    try:
        data = path.read_bytes() if path.stat().st_size < 64 << 20 else None
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror})") from err
    raw = sample_rate is not None or path.suffix.lower() in RAW_SUFFIXES
    if raw:
        if sample_rate is None:
            raise InputError(
                f"{path}: a raw PCM file has no header; give its sample rate (--rate 8000)"
            )
        if data is None:  # too big to be under any sensible limit as raw PCM
            seconds = path.stat().st_size / (2 * channels * sample_rate)
            _check_length(str(path), seconds, max_seconds)
        return decode_raw_pcm(data or b"", sample_rate, channels, str(path), max_seconds)
    if data == b"":
        raise InputError(f"{path}: is empty (0 bytes); expected {_SUPPORTED}")
    if data is None:
        with open(path, "rb") as handle:
            head = handle.read(4096)
        return _decode_container(str(path), str(path), max_seconds, wav_declared_seconds(head))
    wav_seconds = wav_declared_seconds(data[:4096])
    return _decode_container(io.BytesIO(data), str(path), max_seconds, wav_seconds)


def _check_length(name: str, seconds: float, max_seconds: float | None) -> None:
    if max_seconds is not None and seconds > max_seconds:
        raise InputError(
            f"{name}: {seconds:.0f} s of audio is over the {max_seconds:.0f} s limit "
            "(BOT_ASR_MAX_SECONDS); split the recording, e.g. "
            "`sox IN.wav OUT.wav trim 0 600 : newfile : restart`"
        )


def _decode_container(
    source: Any, name: str, max_seconds: float | None, wav_seconds: float | None = None
) -> Audio:
    import av

    try:
        container = av.open(source, mode="r")
    except (av.error.FFmpegError, ValueError, OSError) as err:
        raise InputError(
            f"{name}: cannot be decoded as audio ({_reason(err)}); expected {_SUPPORTED}"
        ) from err
    with container:
        if not container.streams.audio:
            raise InputError(f"{name}: holds no audio stream; expected {_SUPPORTED}")
        stream = container.streams.audio[0]
        declared = wav_seconds if wav_seconds is not None else _declared_seconds(container, stream)
        if declared is not None:
            _check_length(name, declared, max_seconds)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        chunks: list[bytes] = []
        total = 0
        limit = None if max_seconds is None else int(max_seconds * SAMPLE_RATE) * 2
        try:
            for frame in container.decode(stream):
                frame.pts = None  # the resampler rejects the odd pts of some WebM files
                for out in resampler.resample(frame):
                    chunk = bytes(out.planes[0])[: out.samples * 2]
                    chunks.append(chunk)
                    total += len(chunk)
                if limit is not None and total > limit:
                    _check_length(name, total / 2 / SAMPLE_RATE, max_seconds)
            for out in resampler.resample(None):
                chunks.append(bytes(out.planes[0])[: out.samples * 2])
        except av.error.FFmpegError as err:
            if total == 0:
                raise InputError(
                    f"{name}: cannot be decoded as audio ({_reason(err)}); expected {_SUPPORTED}"
                ) from err
            raise InputError(
                f"{name}: is damaged or cut off after {total / 2 / SAMPLE_RATE:.2f} s "
                f"({_reason(err)}); re-export or re-record it"
            ) from err
    pcm = b"".join(chunks)
    if not pcm:
        raise InputError(f"{name}: holds no audio samples (zero length)")
    seconds = len(pcm) / 2 / SAMPLE_RATE
    if declared is not None and declared - seconds > max(
        _TRUNCATED_SLACK_S, _TRUNCATED_SLACK_SHARE * declared
    ):
        raise InputError(
            f"{name}: is truncated: its header says {declared:.2f} s but only {seconds:.2f} s "
            "could be decoded; the file was cut off (incomplete upload or copy)"
        )
    return Audio(pcm)


def wav_declared_seconds(head: bytes) -> float | None:
    """The duration a RIFF/WAVE header promises (its data chunk size), or None when the
    header is not WAV or leaves it open. FFmpeg trusts the file size instead, so a WAV cut
    off in transfer would otherwise decode "fine" and silently lose its end."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        chunk_id, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if chunk_id == b"fmt " and pos + 16 <= len(head):
            byte_rate = int.from_bytes(head[pos + 16 : pos + 20], "little")
        if chunk_id == b"data":
            # Streaming recorders write 0 or 0xFFFFFFFF when the length is not yet known.
            if byte_rate <= 0 or size in (0, 0xFFFFFFFF, 0x7FFFFFFF):
                return None
            return size / byte_rate
        pos += 8 + size + (size & 1)
    return None


def _declared_seconds(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # av.time_base: microseconds
    return None


def _reason(err: BaseException) -> str:
    return getattr(err, "strerror", None) or str(err) or type(err).__name__


class StreamResampler:
    """Resample a mono int16 PCM stream chunk by chunk (FFmpeg's swresample keeps the filter
    state between chunks, so chunk edges do not click as separate resample_pcm calls would).
    For a telephone leg at 8 kHz into the bot's 16 kHz, or 16 kHz into an 8 kHz model."""

    def __init__(self, rate_from: int, rate_to: int) -> None:
        import av

        self.rate_from, self.rate_to = rate_from, rate_to
        self._resampler = (
            None if rate_from == rate_to
            else av.AudioResampler(format="s16", layout="mono", rate=rate_to)
        )
        self._odd = b""

    def process(self, pcm: bytes) -> bytes:
        if self._resampler is None:
            return pcm
        data = self._odd + pcm
        usable = len(data) - len(data) % 2
        self._odd = data[usable:]
        if not usable:
            return b""
        import av

        samples = np.frombuffer(data[:usable], dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = self.rate_from
        return _frames_pcm(self._resampler.resample(frame))

    def flush(self) -> bytes:
        if self._resampler is None:
            return b""
        return _frames_pcm(self._resampler.resample(None))


def _frames_pcm(frames: Any) -> bytes:
    """Packed s16 mono frames -> bytes (a plane may be padded past its samples)."""
    return b"".join(bytes(f.planes[0])[: f.samples * 2] for f in frames)
