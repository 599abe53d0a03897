"""G.711 mu-law: the reference encoder's codes, and the telephone imitation."""

from __future__ import annotations

import numpy as np
import pytest

from bot.voice.base import Audio
from bot.voice.g711 import pcm16_to_ulaw, telephone_copy, ulaw_to_pcm16
from tests.unit.voice.audio_files import dominant_hz, pcm16, rms, tone

# Codes of the Sun reference encoder (as in audioop / SoX) for these samples.
REFERENCE = [(0, 0xFF), (-1, 0x7E), (1, 0xFF), (100, 0xF2), (-100, 0x72), (1000, 0xCE),
             (32767, 0x80), (-32768, 0x00), (8000, 0xA0)]


@pytest.mark.parametrize(("sample", "code"), REFERENCE)
def test_encode_reference(sample: int, code: int) -> None:
    assert pcm16_to_ulaw(np.array([sample], dtype="<i2").tobytes()) == bytes([code])


def test_decode_inverts_encode_within_a_step() -> None:
    x = np.arange(-32768, 32768, 37, dtype=np.int32).astype("<i2")
    back = np.frombuffer(ulaw_to_pcm16(pcm16_to_ulaw(x.tobytes())), dtype="<i2").astype(int)
    error = np.abs(back - x.astype(int))
    assert np.all(error <= np.maximum(8, np.abs(x.astype(int)) // 16))


def test_telephone_copy_keeps_speech_band_drops_high() -> None:
    low = telephone_copy(Audio(pcm16(tone(16000, freq=1000))))
    high = telephone_copy(Audio(pcm16(tone(16000, freq=6000))))
    assert low.duration_s == pytest.approx(1.0)
    assert dominant_hz(low.pcm) == pytest.approx(1000, abs=2)
    assert rms(high.pcm) < 0.01
