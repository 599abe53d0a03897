"""G.711 both ways, bit for bit against the reference implementations: Python's audioop
(in the standard library up to 3.12) over every 16-bit sample; and against SoX."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from bot.telephony.sip.codec import CODECS, alaw_to_pcm16, pcm16_to_alaw
from bot.voice.g711 import pcm16_to_ulaw, ulaw_to_pcm16

EVERY_SAMPLE = np.arange(-32768, 32768, dtype="<i2").tobytes()
EVERY_CODE = bytes(range(256))


def audioop():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("audioop", reason="audioop left the standard library in 3.13")


def test_alaw_matches_audioop_for_every_sample_and_code() -> None:
    ref = audioop()
    assert pcm16_to_alaw(EVERY_SAMPLE) == ref.lin2alaw(EVERY_SAMPLE, 2)
    assert alaw_to_pcm16(EVERY_CODE) == ref.alaw2lin(EVERY_CODE, 2)


def test_ulaw_of_bot_voice_matches_audioop_for_every_sample_and_code() -> None:
    ref = audioop()
    assert pcm16_to_ulaw(EVERY_SAMPLE) == ref.lin2ulaw(EVERY_SAMPLE, 2)
    assert ulaw_to_pcm16(EVERY_CODE) == ref.ulaw2lin(EVERY_CODE, 2)


def test_known_codes() -> None:
    assert CODECS["PCMA"].encode(b"\0\0") == bytes([CODECS["PCMA"].silence]) == b"\xd5"
    assert CODECS["PCMU"].encode(b"\0\0") == bytes([CODECS["PCMU"].silence]) == b"\xff"
    assert (CODECS["PCMA"].payload_type, CODECS["PCMU"].payload_type) == (8, 0)
    loud = np.array([32767, -32768], dtype="<i2").tobytes()
    assert pcm16_to_alaw(loud) == b"\xaa\x2a"


@pytest.mark.parametrize(("law", "sox_name"), [("PCMA", "a-law"), ("PCMU", "u-law")])
def test_decoding_matches_sox_and_encoding_is_as_good(
    tmp_path: Path, law: str, sox_name: str
) -> None:
    """SoX decodes exactly as we do. Its encoder rounds where the reference truncates, so
    a few codes differ by one step: the two encodings are compared by their error."""
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (apt-get install sox)")
    rng = np.random.default_rng(7)
    pcm = (rng.standard_normal(8000) * 6000).clip(-32768, 32767).astype("<i2").tobytes()
    raw, coded, back = tmp_path / "in.raw", tmp_path / "coded.raw", tmp_path / "back.raw"
    raw.write_bytes(pcm)
    pcm16 = ["-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1"]
    g711 = ["-t", "raw", "-r", "8000", "-e", sox_name, "-b", "8", "-c", "1"]
    subprocess.run(["sox", "-D", *pcm16, str(raw), *g711, str(coded)], check=True, timeout=30)
    subprocess.run(["sox", "-D", *g711, str(coded), *pcm16, str(back)], check=True, timeout=30)
    codec = CODECS[law]
    assert codec.decode(coded.read_bytes()) == back.read_bytes()
    original = np.frombuffer(pcm, "<i2").astype(np.float64)

    def snr(codes: bytes) -> float:
        decoded = np.frombuffer(codec.decode(codes), "<i2").astype(np.float64)
        return float(10 * np.log10(np.sum(original**2) / np.sum((original - decoded) ** 2)))

    ours, theirs = codec.encode(pcm), coded.read_bytes()
    same = np.mean(np.frombuffer(ours, np.uint8) == np.frombuffer(theirs, np.uint8))
    assert same > 0.9
    assert abs(snr(ours) - snr(theirs)) < 1.0  # dB
    assert snr(ours) > 30
