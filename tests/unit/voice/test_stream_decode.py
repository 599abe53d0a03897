"""Incoming call audio, chunk by chunk: PCM at telephone and browser rates, Opus in WebM/Ogg."""

from __future__ import annotations

import io

import numpy as np
import pytest

from bot.errors import InputError
from bot.voice.stream_decode import OpusStream, PcmStream, open_stream


def _tone(rate: int, seconds: float = 1.0, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 8000).astype("<i2")


def _feed_all(stream: PcmStream | OpusStream, data: bytes, size: int) -> bytes:
    out = b"".join(stream.feed(data[i : i + size]) for i in range(0, len(data), size))
    return out + stream.finish()


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_pcm_is_resampled_to_16_khz_keeping_length_and_pitch(rate: int) -> None:
    out = np.frombuffer(_feed_all(PcmStream(rate), _tone(rate).tobytes(), 1001), dtype="<i2")
    assert abs(len(out) - 16000) <= 32  # one second stays one second
    spectrum = np.abs(np.fft.rfft(out[1000:15000].astype(float)))
    assert np.argmax(spectrum) * 16000 / 14000 == pytest.approx(440, abs=3)


def test_16_khz_pcm_passes_through_and_odd_chunks_are_joined() -> None:
    stream = PcmStream(16000)
    assert stream.feed(b"\x01") == b""
    assert stream.feed(b"\x02\x03\x04") == b"\x01\x02\x03\x04"


def test_an_unsupported_rate_is_refused() -> None:
    with pytest.raises(InputError, match="11025"):
        PcmStream(11025)


def _encoded(fmt: str) -> bytes:
    import av

    buffer = io.BytesIO()
    # Ogg pages of 100 ms (the muxer's default is 1 s), as a live sender flushes them.
    options = {"page_duration": "100000"} if fmt == "ogg" else {}
    with av.open(buffer, "w", format=fmt, options=options) as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        pcm = _tone(48000, 2.0)
        for i in range(0, len(pcm), 960):
            frame = av.AudioFrame.from_ndarray(
                pcm[i : i + 960].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "container"), [("webm", "webm"), ("ogg", "ogg"), ("webm", None)])
def test_opus_pieces_decode_as_they_arrive(fmt: str, container: str | None) -> None:
    data = _encoded(fmt)
    stream = OpusStream(container)
    half = len(data) // 2 // 700 * 700
    early = b"".join(stream.feed(data[i : i + 700]) for i in range(0, half, 700))
    rest = _feed_all(stream, data[half:], 700)
    assert len(early) > 16000  # audio came out before the stream ended
    assert abs(len(early + rest) / 2 - 32000) <= 400


def test_garbage_instead_of_opus_is_an_input_error() -> None:
    stream = OpusStream("webm")
    with pytest.raises(InputError, match="cannot be decoded"):
        stream.feed(b"garbage" * 500)
        stream.finish()


def test_open_stream_refuses_unknown_encodings() -> None:
    with pytest.raises(InputError, match="mp3"):
        open_stream("mp3", 16000)
