"""Whisper output to a Transcript: joining, Simplified, confidences, the guard, limits.
Fake segments stand in for faster-whisper's; no model is loaded."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.errors import InputError, ModelNotBuiltError
from bot.voice.base import Audio
from bot.voice.whisper import (
    WhisperOptions,
    WhisperTranscriber,
    _assemble,
    _join,
    _segment,
    _token_budget,
    raise_level,
    simplify,
)


def seg(text: str, words: list[tuple[str, float]] | None = None, logprob: float = -0.2,
        no_speech: float = 0.01, compression: float = 0.8, width: float = 0.3) -> Any:
    ws = [SimpleNamespace(word=w, start=i * width, end=(i + 1) * width, probability=p)
          for i, (w, p) in enumerate(words or [])]
    return SimpleNamespace(text=text, words=ws or None, avg_logprob=logprob,
                           no_speech_prob=no_speech, compression_ratio=compression)


class FakeModel:
    def __init__(self, segments: list[Any]) -> None:
        self.segments = segments
        self.kwargs: dict[str, Any] = {}

    def transcribe(self, audio: Any, **kwargs: Any) -> tuple[Any, None]:
        self.kwargs = kwargs
        return iter(self.segments), None


def engine(segments: list[Any], prompt: str = "",
           options: WhisperOptions | None = None) -> tuple[WhisperTranscriber, FakeModel]:
    model = FakeModel(segments)
    t = WhisperTranscriber(Path("/nonexistent"), prompt=prompt, options=options)
    t._model = model
    return t, model


def test_join_mandarin_without_spaces_latin_with() -> None:
    assert _join([" 我想听歌曲", " Let It", " Go", "好的 "]) == "我想听歌曲Let It Go好的"


def test_assemble_simplifies_and_scores_words() -> None:
    segment = seg("廣州市房地產", [("廣州", 0.9), ("市", 0.7), ("房地產", 0.8)])
    text, words, confidence = _assemble([_segment(segment)])
    assert text == "广州市房地产"
    assert [w.text for w in words] == ["广州", "市", "房地产"]
    assert confidence == pytest.approx(0.8)


def test_assemble_confidence_from_logprob_without_words() -> None:
    _, words, confidence = _assemble([_segment(seg("你好", logprob=-0.5))])
    assert words == ()
    assert confidence == pytest.approx(math.exp(-0.5), abs=1e-4)


def test_transcript_passes_options_and_prompt() -> None:
    segment = seg("社保卡丢了", [("社保卡", 0.9), ("丢了", 0.9)])
    t, model = engine([segment], prompt="市民来电咨询：社保卡。")
    result = t.transcribe(Audio(bytes(32000)))
    assert result.text == "社保卡丢了"
    assert result.engine == "whisper" and result.duration_s == 1.0
    assert model.kwargs["language"] == "zh"
    assert model.kwargs["vad_filter"] is True
    assert model.kwargs["initial_prompt"] == "市民来电咨询：社保卡。"


def test_parroted_prompt_is_nothing_heard() -> None:
    prompt = "12345政务服务热线，市民来电咨询：公积金、身份证、海川、社保卡。"
    t, _ = engine([seg("公积金、身份证、海川、社保卡。", [("公积金", 0.5)])], prompt=prompt)
    result = t.transcribe(Audio(bytes(32000)))
    assert (result.text, result.confidence, result.words) == ("", 0.0, ())


def test_invented_tail_segments_are_dropped() -> None:
    """Measured on real recordings: after the speech, Whisper adds a segment of its own."""
    real = seg("相比于其他一线城市。", [("相比", 0.9), ("于", 0.9), ("一线城市。", 0.8)])
    loop = seg("请问问问问问问问", [("请", 0.97), ("问", 0.99)], no_speech=0.7, compression=33.0)
    unsure = seg("试试", [("试", 0.1), ("试", 0.8)], no_speech=0.51)
    no_audio = seg("这些东西都不认识", [("这些", 0.3), ("东西", 0.2), ("都", 0.1)], width=0.0)
    t, _ = engine([real, loop, unsure, no_audio])
    assert t.transcribe(Audio(bytes(32000))).text == "相比于其他一线城市。"


def test_silence_is_nothing_heard() -> None:
    t, _ = engine([])
    result = t.transcribe(Audio(bytes(32000)))
    assert (result.text, result.confidence) == ("", 0.0)


def test_empty_audio() -> None:
    t, model = engine([seg("不该出现")])
    assert t.transcribe(Audio(b"")).text == ""
    assert model.kwargs == {}


def test_over_limit() -> None:
    t = WhisperTranscriber(Path("/nonexistent"), max_seconds=2)
    with pytest.raises(InputError, match="over the 2 s limit"):
        t.transcribe(Audio(bytes(16000 * 2 * 3)))


def test_model_not_built(tmp_path: Path) -> None:
    with pytest.raises(ModelNotBuiltError, match="run `bot build model`"):
        WhisperTranscriber(tmp_path).load()


def test_token_budget_scales_with_audio() -> None:
    assert _token_budget(2.0, 12.0) == 40
    assert _token_budget(300.0, 12.0) == 376  # per 30 s window
    assert _token_budget(2.0, None) is None


def test_decoder_loops_are_cut_by_the_default_budget() -> None:
    """Whisper's own limit (448 tokens) let a loop on a quiet caller run for 2-4 s; the
    default budget for a 3.5 s utterance is 58 tokens."""
    t, model = engine([seg("社保卡丢了", [("社保卡", 0.9), ("丢了", 0.9)])])
    t.transcribe(Audio(bytes(int(3.5 * 16000) * 2)))
    assert model.kwargs["max_new_tokens"] == 58


def test_raise_level_lifts_quiet_audio_without_clipping() -> None:
    import numpy as np

    quiet = np.sin(np.linspace(0, 200, 16000)).astype(np.float32) * 0.01  # about -43 dBFS
    louder = raise_level(quiet, -20.0)
    rms = float(np.sqrt(np.mean(louder**2)))
    assert 20 * np.log10(rms) == pytest.approx(-20.0, abs=0.1)
    spiky = quiet.copy()
    spiky[100] = 0.5  # a click: the peak limit wins
    assert float(np.max(np.abs(raise_level(spiky, -20.0)))) == pytest.approx(0.95, abs=1e-3)


def test_raise_level_leaves_silence_and_loud_audio() -> None:
    import numpy as np

    silence = np.zeros(1600, np.float32)
    loud = np.full(1600, 0.5, np.float32)
    assert raise_level(silence, -20.0) is silence
    assert raise_level(loud, -20.0) is loud


def test_filter_off_keeps_inventions() -> None:
    """Only for measuring the guard (bench nofilter): nothing is dropped."""
    loop = seg("请问问问问问问问", [("请", 0.97), ("问", 0.99)], no_speech=0.7, compression=33.0)
    t, _ = engine([loop], options=WhisperOptions(filter_invented=False))
    assert t.transcribe(Audio(bytes(32000))).text == "请问问问问问问问"


def test_stream_skips_whispers_own_vad() -> None:
    """An utterance our VAD cut out is not run through Silero a second time."""
    t, model = engine([seg("社保卡丢了", [("社保卡", 0.9), ("丢了", 0.9)])])
    stream = t.stream()
    stream._transcribe(Audio(bytes(32000)))  # type: ignore[attr-defined]
    assert model.kwargs["vad_filter"] is False
    t.transcribe(Audio(bytes(32000)))
    assert model.kwargs["vad_filter"] is True


@pytest.mark.parametrize(
    ("written", "simple"),
    [("甚麼時候辦", "什么时候办"), ("接著排隊", "接着排队"), ("看著急死了", "看着急死了"),
     ("著名景點", "著名景点"), ("顯著提高", "显著提高"), ("列夫托爾斯泰所著", "列夫托尔斯泰所著"),
     ("妳好", "你好"), ("衞生局", "卫生局"), ("身份證補辦", "身份证补办")],
)
def test_simplify_whisper_variants(written: str, simple: str) -> None:
    assert simplify(written) == simple


def test_trim_padding_keeps_the_audio_and_a_margin() -> None:
    import numpy as np

    from bot.voice.whisper import trim_padding

    features = np.zeros((80, 3000), np.float32)
    features[:, :421] = -0.5  # 4.2 s of real (normalised log-mel) frames
    trimmed = trim_padding(features, 100)
    assert trimmed.shape == (80, 522)  # 421 + 100, rounded up to even for the stride-2 conv
    assert np.array_equal(trimmed[:, :421], features[:, :421])
    batch = trim_padding(features[None], 100)
    assert batch.shape == (1, 80, 522)


def test_trim_padding_never_grows_the_window() -> None:
    import numpy as np

    from bot.voice.whisper import trim_padding

    full = np.ones((80, 3000), np.float32)
    assert trim_padding(full, 200).shape == (80, 3000)
    assert trim_padding(np.zeros((80, 3000), np.float32), 100).shape == (80, 100)


def test_live_calls_cut_the_encoder_window_files_do_not() -> None:
    import threading

    class WindowModel(FakeModel):
        def __init__(self, segments: list[Any]) -> None:
            super().__init__(segments)
            self.window = threading.local()
            self.seen: list[int | None] = []

        def transcribe(self, audio: Any, **kwargs: Any) -> tuple[Any, None]:
            self.seen.append(self.window.pad_frames)
            return super().transcribe(audio, **kwargs)

    model = WindowModel([seg("社保卡丢了", [("社保卡", 0.9), ("丢了", 0.9)])])
    t = WhisperTranscriber(Path("/nonexistent"), options=WhisperOptions(stream_encoder_pad_s=3.0))
    t._model = model
    t.transcribe(Audio(bytes(32000)))
    t.stream()._transcribe(Audio(bytes(32000)))  # type: ignore[attr-defined]
    assert model.seen == [None, 300]
