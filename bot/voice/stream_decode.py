"""Incoming audio streams -> the bot's 16 kHz mono PCM, chunk by chunk, as a call goes on.

- `PcmStream`: 16-bit PCM at 8/16/44.1/48 kHz. Resampling is stateful (libswresample
  through PyAV), so chunk boundaries leave no clicks, unlike resampling each chunk alone.
- `OpusStream`: Opus in a WebM or Ogg stream, as a browser's MediaRecorder or a telephony
  bridge sends it, in arbitrary pieces. FFmpeg's demuxer wants a file it can read from,
  so it runs in a thread of its own reading from a pipe that `feed` writes into; `feed`
  returns whatever audio the pieces so far completed.

Both: `feed(bytes) -> bytes`, `finish() -> bytes` (the rest), errors as InputError.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
from typing import Any

import numpy as np

from bot.errors import InputError
from bot.voice.base import SAMPLE_RATE

log = logging.getLogger(__name__)

PCM_RATES = (8000, 16000, 22050, 44100, 48000)
_SETTLE_S = 0.25  # how long feed() lets the decoder catch up with what was just written


def _resampler() -> Any:
    import av

    return av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)


def _frames_pcm(frames: list[Any]) -> bytes:
    return b"".join(bytes(f.planes[0])[: f.samples * 2] for f in frames)


class PcmStream:
    def __init__(self, sample_rate: int) -> None:
        if sample_rate not in PCM_RATES:
            raise InputError(
                f"sample_rate {sample_rate!r} is not supported; use one of "
                f"{', '.join(map(str, PCM_RATES))}"
            )
        self.sample_rate = sample_rate
        self._odd = b""
        self._resampler = _resampler() if sample_rate != SAMPLE_RATE else None

    def feed(self, data: bytes) -> bytes:
        data = self._odd + data
        self._odd = data[len(data) - len(data) % 2 :]
        data = data[: len(data) - len(data) % 2]
        if self._resampler is None or not data:
            return data
        import av

        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(data, dtype="<i2").reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = self.sample_rate
        return _frames_pcm(self._resampler.resample(frame))

    def finish(self) -> bytes:
        if self._resampler is None:
            return b""
        return _frames_pcm(self._resampler.resample(None))


class _Pipe(io.RawIOBase):
    """A blocking byte pipe: the decoder thread reads, the call's loop writes."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._cond = threading.Condition()
        self._closed_for_writing = False
        self.starved = False  # the reader is waiting for more bytes

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # a live stream: FFmpeg must not try to seek
        return False

    def write_bytes(self, data: bytes) -> None:
        with self._cond:
            self._buffer += data
            self.starved = False
            self._cond.notify_all()

    def close_writer(self) -> None:
        with self._cond:
            self._closed_for_writing = True
            self._cond.notify_all()

    def readinto(self, target: Any) -> int:
        with self._cond:
            while not self._buffer and not self._closed_for_writing:
                self.starved = True
                self._cond.notify_all()
                self._cond.wait()
            n = min(len(target), len(self._buffer))
            target[:n] = self._buffer[:n]
            del self._buffer[:n]
            return n

    def wait_starved(self, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self.starved or self._closed_for_writing, timeout)


class OpusStream:
    def __init__(self, container: str | None = None) -> None:
        if container not in (None, "webm", "ogg"):
            raise InputError(f"Opus container {container!r} is not supported; use webm or ogg")
        self._format = {"webm": "matroska", "ogg": "ogg", None: None}[container]
        self._pipe = _Pipe()
        self._out: queue.Queue[bytes] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._decode, name="opus-decoder", daemon=True)
        self._started = False

    def _decode(self) -> None:
        import av

        try:
            with av.open(self._pipe, mode="r", format=self._format) as container:
                if not container.streams.audio:
                    raise InputError("the stream holds no audio track")
                resampler = _resampler()
                for frame in container.decode(container.streams.audio[0]):
                    frame.pts = None
                    self._out.put(_frames_pcm(resampler.resample(frame)))
                self._out.put(_frames_pcm(resampler.resample(None)))
        except Exception as err:  # noqa: BLE001 - reported to the caller by feed/finish
            self._error = err
        finally:
            self._pipe.starved = True
            self._pipe.close_writer()

    def _drain(self) -> bytes:
        parts: list[bytes] = []
        while True:
            try:
                parts.append(self._out.get_nowait())
            except queue.Empty:
                break
        pcm = b"".join(parts)
        if self._error is not None and not pcm:
            raise InputError(
                f"the Opus stream cannot be decoded ({self._error}); send one "
                "WebM or Ogg stream from its first byte (e.g. MediaRecorder "
                "with mimeType audio/webm;codecs=opus)"
            ) from self._error
        return pcm

    def feed(self, data: bytes) -> bytes:
        if not self._started:
            self._thread.start()
            self._started = True
        self._pipe.write_bytes(data)
        self._pipe.wait_starved(_SETTLE_S)
        return self._drain()

    def finish(self) -> bytes:
        self._pipe.close_writer()
        if self._started:
            self._thread.join(timeout=10)
        return self._drain()

    def close(self) -> None:
        self._pipe.close_writer()


def open_stream(
    encoding: str, sample_rate: int, container: str | None = None
) -> PcmStream | OpusStream:
    """The decoder for a call's declared encoding: "pcm16" or "opus"."""
    if encoding == "pcm16":
        return PcmStream(sample_rate)
    if encoding == "opus":
        return OpusStream(container)
    raise InputError(f"encoding {encoding!r} is not supported; use pcm16 or opus")
