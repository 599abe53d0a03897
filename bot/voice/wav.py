"""A RIFF/WAVE file around 16-bit mono PCM (for clients that play files, and for tests)."""

from __future__ import annotations

import struct

from bot.voice.base import SAMPLE_RATE


def wav_bytes(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(pcm))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(pcm))
        + pcm
    )
