"""Telephone rate <-> the bot's rate: caller audio 8 kHz -> 16 kHz as it streams in, reply
audio (16 kHz, or whatever a synthesizer made) -> 8 kHz once per utterance.

Caller audio arrives in 20 ms pieces; resampling each piece on its own (scipy's
resample_poly pads both ends with zeros) puts a click every 20 ms that the VAD and Whisper
hear. `Upsampler` therefore keeps the filter's history between pieces.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.telephony.call import SAMPLE_RATE as PHONE_RATE
from bot.voice.audio import resample_pcm
from bot.voice.base import SAMPLE_RATE as BOT_RATE

# 3 ms at 16 kHz; odd, so the delay is a whole sample (23), which keeps the phases aligned.
_TAPS = 47


def _lowpass() -> Any:
    from scipy.signal import firwin  # scipy is already there for resample_poly

    # Cut-off at 3.8 kHz in the 16 kHz domain (Nyquist 8 kHz); x2 makes up for the zeros
    # stuffed between samples.
    return firwin(_TAPS, 3800, fs=BOT_RATE, window=("kaiser", 8.0)) * 2.0


class Upsampler:
    """Streaming 8 kHz -> 16 kHz int16 PCM (polyphase FIR, state kept between chunks)."""

    def __init__(self) -> None:
        taps = _lowpass()
        self._even = taps[0::2]  # output samples that fall on an input sample
        # The ones in between; padded to the same length (the last tap is zero).
        self._odd = np.append(taps[1::2], np.zeros(len(self._even) - len(taps[1::2])))
        self._history = np.zeros(len(self._even) - 1)
        self._odd_byte = b""

    def process(self, pcm: bytes) -> bytes:
        data = self._odd_byte + pcm
        cut = len(data) - len(data) % 2
        self._odd_byte = data[cut:]
        if not cut:
            return b""
        x = np.frombuffer(data[:cut], dtype="<i2").astype(np.float64)
        buf = np.concatenate([self._history, x])
        self._history = buf[len(buf) - len(self._history) :]
        out = np.empty(2 * len(x))
        out[0::2] = np.convolve(buf, self._even, mode="valid")
        out[1::2] = np.convolve(buf, self._odd, mode="valid")
        return np.rint(np.clip(out, -32768, 32767)).astype("<i2").tobytes()


def to_phone_rate(pcm: bytes, rate: int = BOT_RATE) -> bytes:
    """A whole utterance at `rate` -> 8 kHz (band-limited, so no aliasing)."""
    pcm = pcm[: len(pcm) - len(pcm) % 2]
    return resample_pcm(pcm, rate, PHONE_RATE) if pcm else b""
