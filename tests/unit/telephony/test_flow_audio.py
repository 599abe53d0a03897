"""The flow's audio and id plumbing: streaming 8 -> 16 kHz without seams between chunks,
replies to 8 kHz, and session ids the agent desk's lookup accepts."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bot.telephony.flow import SESSION_ID, session_id_for
from bot.telephony.resample import Upsampler, to_phone_rate


def sine(rate: int, seconds: float, freq: float = 440.0) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate) * 10000


def test_upsampling_in_20_ms_chunks_has_no_seams() -> None:
    pcm = sine(8000, 1.0).astype("<i2").tobytes()
    up = Upsampler()
    out = b"".join(up.process(pcm[i : i + 321]) for i in range(0, len(pcm), 321))  # odd sizes
    got = np.frombuffer(out, "<i2").astype(float)
    want = sine(16000, 1.0)
    delay = 23  # the filter's (47 taps at 16 kHz)
    error = got[delay + 100 : 15000] - want[100 : 15000 - delay]
    assert len(got) == 16000
    assert float(np.sqrt(np.mean(error**2))) < 5  # of an amplitude of 10000


def test_reply_audio_is_brought_to_8_khz() -> None:
    pcm16 = sine(16000, 0.5).astype("<i2").tobytes()
    assert len(to_phone_rate(pcm16, 16000)) == 8000
    pcm22 = sine(22050, 0.5).astype("<i2").tobytes()
    assert abs(len(to_phone_rate(pcm22 + b"\x01", 22050)) - 8000) <= 2  # odd byte dropped


def test_an_audiosocket_uuid_is_its_own_session_id() -> None:
    call_id = "40325ec2-5efd-4bd3-805f-53576e581d13"
    assert session_id_for(call_id) == call_id


def test_a_sip_call_id_with_an_at_sign_gets_a_stable_usable_id() -> None:
    sid = session_id_for("a84b4c76e66710@pc33.example.com")
    assert SESSION_ID.match(sid) and sid.startswith("a84b4c76e66710_pc33.example.com-")
    assert sid == session_id_for("a84b4c76e66710@pc33.example.com")
    assert sid != session_id_for("a84b4c76e66710@pc34.example.com")


@given(st.text(min_size=1, max_size=300))
def test_every_call_id_maps_to_a_usable_session_id(call_id: str) -> None:
    assert SESSION_ID.match(session_id_for(call_id))
