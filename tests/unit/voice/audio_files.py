"""Test audio made on the fly (never real recordings): tones encoded with PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# (suffix, container format, codec) for each container the bot accepts.
FORMATS = {
    "wav": ("wav", "pcm_s16le"),
    "flac": ("flac", "flac"),
    "mp3": ("mp3", "libmp3lame"),
    "ogg": ("ogg", "libopus"),
    "webm": ("webm", "libopus"),
}


def tone(rate: int, seconds: float = 1.0, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def write_audio(path: Path, kind: str, rate: int, channels: int = 1,
                seconds: float = 1.0, freq: float = 440.0, amp: float = 0.5) -> Path:
    """A tone in `kind` (a FORMATS key) at `rate` Hz; stereo puts the tone in the left
    channel and silence in the right, so a downmix halves its level."""
    import av

    fmt, codec = FORMATS[kind]
    mono = tone(rate, seconds, freq, amp)
    if channels == 2:
        frames = np.stack([mono, np.zeros_like(mono)], axis=1).reshape(1, -1)
    else:
        frames = mono.reshape(1, -1)
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        data = (frames * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def dominant_hz(pcm: bytes, rate: int = 16000) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def rms(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    return float(np.sqrt(np.mean(x**2)))
