"""G.711 mu-law (PCMU), the codec of most telephone lines and RTP streams, and a telephone
imitation for tests and benchmarks: 16 kHz -> 8 kHz mu-law -> back to 16 kHz.

Written with numpy because the stdlib's audioop is deprecated (removed in Python 3.13).
"""

from __future__ import annotations

import numpy as np

from bot.voice.audio import resample_pcm
from bot.voice.base import SAMPLE_RATE, Audio

_BIAS = 0x84
_BIAS14 = 0x21  # the bias in the 14-bit domain the reference encoder works in
_CLIP14 = 8159


def pcm16_to_ulaw(pcm: bytes) -> bytes:
    """int16 little-endian PCM -> one mu-law byte a sample (ITU-T G.711; bit-exact with
    the Sun reference encoder that audioop and SoX use)."""
    v = np.frombuffer(pcm, dtype="<i2").astype(np.int32) >> 2  # floor shift, as the reference
    mask = np.where(v < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(v), _CLIP14) + _BIAS14
    segment = np.maximum(np.floor(np.log2(magnitude)).astype(np.int32) - 5, 0)
    value = (np.minimum(segment, 7) << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    value = np.where(segment > 7, 0x7F, value)  # past the top segment: the loudest code
    return (value ^ mask).astype(np.uint8).tobytes()


def ulaw_to_pcm16(data: bytes) -> bytes:
    """mu-law bytes -> int16 little-endian PCM."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype("<i2").tobytes()


def telephone_copy(audio: Audio) -> Audio:
    """What a G.711 call leg does to 16 kHz audio: 4 kHz band limit and 8-bit mu-law.
    It imitates the codec, not line noise, echo or packet loss."""
    narrow = resample_pcm(audio.pcm, SAMPLE_RATE, 8000)
    coded = ulaw_to_pcm16(pcm16_to_ulaw(narrow))
    return Audio(resample_pcm(coded, 8000, SAMPLE_RATE))
