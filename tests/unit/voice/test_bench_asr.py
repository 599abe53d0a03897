"""bench/bench_asr.py without a model: the file selection, the SoX telephone copy, the
streaming variant's plumbing and the summary table."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bench import bench_asr
from bot.voice.base import Audio, Transcript
from bot.voice.streaming import VadStreamingRecognizer
from bot.voice.vad import VadConfig, VoiceActivity
from tests.unit.voice.audio_files import pcm16, tone


def test_selection_is_the_issues_59_files() -> None:
    rows = [{"file": f"{folder}/{i}.wav"} for folder, n in
            (("aishell1_test_dev", 7), ("common_voice_zh_cn", 10), ("fleurs_cmn", 2),
             ("thchs30", 5)) for i in range(n)]
    rows += [{"file": f"aishell_asr0009_sample/{i:04d}.flac"} for i in range(1000)]
    picked = [r["file"] for r in bench_asr.pick(rows, "selection")]
    assert len(picked) == 59
    assert "aishell_asr0009_sample/0025.flac" in picked
    assert "aishell_asr0009_sample/0026.flac" not in picked
    assert not any(p.startswith("thchs30") for p in picked)
    assert len(bench_asr.pick(rows, "aishell")) == 1000


def test_unknown_set_is_an_error() -> None:
    with pytest.raises(SystemExit, match="unknown set 'all'"):
        bench_asr.pick([], "all")


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_sox_telephone_copy_band_limits(tmp_path: Path) -> None:
    low = pcm16(tone(16000, 1.0, freq=1000, amp=0.3))
    high = pcm16(tone(16000, 1.0, freq=6000, amp=0.3))
    low_back = bench_asr.sox_telephone(Audio(low), tmp_path)
    high_back = bench_asr.sox_telephone(Audio(high), tmp_path)
    assert low_back.sample_rate == 16000
    assert low_back.duration_s == pytest.approx(1.0, abs=0.01)

    def rms(audio: Audio) -> float:
        x = np.frombuffer(audio.pcm, "<i2").astype(np.float64) / 32768
        return float(np.sqrt(np.mean(x**2)))

    assert rms(low_back) == pytest.approx(0.3 / np.sqrt(2), rel=0.1)  # the voice band passes
    assert rms(high_back) < 0.01  # 6 kHz is above the 4 kHz telephone band


class FakeEngine:
    def __init__(self) -> None:
        self.n = 0

    def _decode(self, audio: Audio) -> Transcript:
        self.n += 1
        return Transcript(f"句{self.n}", 0.9, "fake", audio.duration_s, 0.25)

    def stream(self) -> VadStreamingRecognizer:
        def loud(frame: np.ndarray) -> float:
            return 1.0 if float(np.sqrt(np.mean(frame**2))) > 0.05 else 0.0

        activity = VoiceActivity(VadConfig(end_silence_s=0.5), vad=loud)
        return VadStreamingRecognizer(self._decode, activity=activity, early_decode_s=None)


def test_run_stream_joins_the_utterances() -> None:
    gap = bytes(int(16000 * 0.8) * 2)
    speech = pcm16(tone(16000, 1.0, amp=0.3))
    call = Audio(gap + speech + gap + speech)
    text, seconds, utterances = bench_asr.run_stream(FakeEngine(), call)
    assert (text, utterances) == ("句1句2", 2)
    assert seconds == pytest.approx(0.5)


def test_table_lists_each_run() -> None:
    run = {"variant": {"name": "ours"}, "telephone": True, "files": 59, "cer_best": 0.1478,
           "cer_digits": 0.15, "cer_spoken": 0.149, "rtf": 0.5, "rtf_cpu": 0.45, "splits": None,
           "load_avg_start_end": [1.5, 2.25]}
    lines = bench_asr.table([run]).splitlines()
    assert lines[1].split() == ["ours", "yes", "59", "0.1478", "0.1500", "0.1490", "0.500",
                                "0.450", "1.5-2.2"]


def test_every_variant_has_its_own_name() -> None:
    assert all(name == v.name for name, v in bench_asr.VARIANTS.items())
    assert bench_asr.VARIANTS["stream-e05"].end_silence_s == 0.5


def test_summarize_a_partial_run(tmp_path: Path) -> None:
    import json

    rows = [
        {"variant": "ours", "telephone": False, "duration_s": 2.0, "processing_s": 1.0,
         "cpu_s": 1.5, "errors_digits": 2, "errors_spoken": 1, "ref_chars_digits": 10,
         "ref_chars_spoken": 10, "ref_chars": 10},
        {"variant": "ours", "telephone": False, "duration_s": 2.0, "processing_s": 1.0,
         "cpu_s": 0.5, "errors_digits": 0, "errors_spoken": 1, "ref_chars_digits": 10,
         "ref_chars_spoken": 10, "ref_chars": 10},
        {"variant": "ours", "telephone": True, "duration_s": 2.0, "processing_s": 2.0,
         "cpu_s": 2.0, "errors_digits": 5, "errors_spoken": 5, "ref_chars": 10},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    wide, phone = bench_asr.summarize_rows(path)
    assert (wide["files"], wide["cer_digits"], wide["cer_spoken"], wide["cer_best"]) == (
        2, 0.1, 0.1, 0.05)
    assert (wide["rtf"], wide["rtf_cpu"]) == (0.5, 0.5)
    assert (phone["telephone"], phone["cer_best"]) == (True, 0.5)
