"""G.711 for RTP: PCMA (A-law, payload type 8, what China's network uses) and PCMU
(mu-law, payload type 0, from bot/voice/g711.py).

A-law is here because bot/voice/g711.py has only mu-law. Both A-law directions are table
look-ups built once from the ITU-T G.711 / Sun reference algorithm, which audioop and SoX
use too; tests compare them with those bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from bot.voice.g711 import pcm16_to_ulaw, ulaw_to_pcm16


@cache
def _alaw_encode_table() -> np.ndarray:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3  # 13-bit, floor as the reference
    negative = pcm < 0
    magnitude = np.where(negative, -pcm - 1, pcm)  # 0..4095
    segment = np.maximum(np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 4, 0)
    shift = np.where(segment < 2, 1, segment)
    value = (segment << 4) | ((magnitude >> shift) & 0x0F)
    mask = np.where(negative, 0x55, 0xD5)
    return (value ^ mask).astype(np.uint8)  # index: sample + 32768


@cache
def _alaw_decode_table() -> np.ndarray:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    segment = (a & 0x70) >> 4
    t = np.where(segment == 0, t + 8, t + 0x108)
    t = np.where(segment > 1, t << np.maximum(segment - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype("<i2")


def pcm16_to_alaw(pcm: bytes) -> bytes:
    """int16 little-endian PCM -> one A-law byte a sample."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32) + 32768
    return _alaw_encode_table()[samples].tobytes()


def alaw_to_pcm16(data: bytes) -> bytes:
    """A-law bytes -> int16 little-endian PCM."""
    return _alaw_decode_table()[np.frombuffer(data, dtype=np.uint8)].tobytes()


@dataclass(frozen=True)
class Codec:
    name: str
    payload_type: int  # the static RTP payload type
    encode: Callable[[bytes], bytes]
    decode: Callable[[bytes], bytes]
    silence: int  # the code of a zero sample, to fill a frame when nothing plays


CODECS = {
    "PCMA": Codec("PCMA", 8, pcm16_to_alaw, alaw_to_pcm16, 0xD5),
    "PCMU": Codec("PCMU", 0, pcm16_to_ulaw, ulaw_to_pcm16, 0xFF),
}
