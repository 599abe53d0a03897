"""VAD endpointing for utterance engines: finals at pauses, barge-in flag, flush, limits.
A fake VAD (loud frame = speech) and a fake transcriber keep this free of models."""

from __future__ import annotations

import numpy as np
import pytest

from bot.voice.base import Audio, Transcript, Word
from bot.voice.streaming import VadStreamingRecognizer
from bot.voice.vad import VadConfig, VoiceActivity
from tests.unit.voice.audio_files import pcm16, tone

RATE = 16000


def loud_is_speech(frame: np.ndarray) -> float:
    return 1.0 if float(np.sqrt(np.mean(frame**2))) > 0.05 else 0.0


class FakeEngine:
    """Names each utterance by its length; one word spanning the utterance."""

    def __init__(self, texts: list[str] | None = None) -> None:
        self.calls: list[Audio] = []
        self.texts = texts

    def __call__(self, audio: Audio) -> Transcript:
        self.calls.append(audio)
        text = self.texts.pop(0) if self.texts else f"utt{len(self.calls)}"
        words = (Word(text, 0.1, audio.duration_s, 0.9),) if text else ()
        return Transcript(text, 0.9 if text else 0.0, "fake", audio.duration_s, 0.01, words)


def silence(seconds: float) -> bytes:
    return bytes(int(RATE * seconds) * 2)


def speech(seconds: float) -> bytes:
    return pcm16(tone(RATE, seconds, amp=0.3))


def recognizer(engine: FakeEngine, **kwargs: object) -> VadStreamingRecognizer:
    """Early decoding off unless asked for: these tests count the engine's calls."""
    activity = VoiceActivity(VadConfig(end_silence_s=0.7), vad=loud_is_speech)
    kwargs.setdefault("early_decode_s", None)
    return VadStreamingRecognizer(engine, activity=activity, **kwargs)  # type: ignore[arg-type]


def feed(rec: VadStreamingRecognizer, pcm: bytes, chunk: int = 640) -> list[Transcript]:
    """Feed in 20 ms chunks (what a telephone or browser sends)."""
    out: list[Transcript] = []
    for i in range(0, len(pcm), chunk):
        out.extend(rec.accept(pcm[i : i + chunk]))
    return out


def test_two_utterances_two_finals() -> None:
    engine = FakeEngine()
    rec = recognizer(engine)
    audio = silence(0.5) + speech(1.0) + silence(1.0) + speech(0.8) + silence(1.0)
    finals = feed(rec, audio)
    assert [t.text for t in finals] == ["utt1", "utt2"]
    assert all(t.is_final for t in finals)
    assert rec.finish() is None


def test_utterance_audio_has_pre_roll_and_short_tail() -> None:
    engine = FakeEngine()
    rec = recognizer(engine, pre_roll_s=0.3, tail_s=0.2)
    feed(rec, silence(1.0) + speech(1.0) + silence(1.0))
    # about 0.3 s pre-roll + 1.0 s speech + 0.2 s of the trailing silence
    assert engine.calls[0].duration_s == pytest.approx(1.5, abs=0.07)


def test_word_times_on_stream_clock() -> None:
    engine = FakeEngine()
    rec = recognizer(engine, pre_roll_s=0.3)
    final = feed(rec, silence(2.0) + speech(1.0) + silence(1.0))[0]
    # the utterance starts ~0.3 s before the speech at 2.0 s; its word starts 0.1 s in
    assert final.words[0].start_s == pytest.approx(1.8, abs=0.07)


def test_speech_active_for_barge_in() -> None:
    rec = recognizer(FakeEngine())
    feed(rec, silence(0.5))
    assert not rec.speech_active
    feed(rec, speech(0.4))
    assert rec.speech_active  # the gateway stops the bot's playback here
    feed(rec, silence(1.0))
    assert not rec.speech_active


def test_short_pause_does_not_end_utterance() -> None:
    engine = FakeEngine()
    rec = recognizer(engine)
    finals = feed(rec, speech(0.8) + silence(0.4) + speech(0.8) + silence(1.0))
    assert len(finals) == 1
    assert engine.calls[0].duration_s > 1.9


def test_click_is_not_speech() -> None:
    engine = FakeEngine()
    rec = recognizer(engine)
    assert feed(rec, silence(0.5) + speech(0.1) + silence(1.0)) == []
    assert engine.calls == []


def test_finish_flushes_hang_up_mid_sentence() -> None:
    rec = recognizer(FakeEngine())
    assert feed(rec, silence(0.3) + speech(1.0)) == []
    final = rec.finish()
    assert final is not None and final.text == "utt1"


def test_odd_chunks_are_fine() -> None:
    engine = FakeEngine()
    rec = recognizer(engine)
    finals = feed(rec, silence(0.3) + speech(1.0) + silence(1.0), chunk=333)
    assert [t.text for t in finals] == ["utt1"]


def test_nothing_recognised_gives_no_final() -> None:
    rec = recognizer(FakeEngine(texts=[""]))
    assert feed(rec, speech(1.0) + silence(1.0)) == []
    assert rec.utterances == 0


def test_long_speech_is_cut() -> None:
    engine = FakeEngine()
    rec = recognizer(engine, max_utterance_s=3.0)
    finals = feed(rec, speech(7.0))
    assert len(finals) == 2
    assert engine.calls[0].duration_s == pytest.approx(3.0, abs=0.1)


def test_partials_while_speaking() -> None:
    engine = FakeEngine()
    rec = recognizer(engine, partial_interval_s=1.0)
    out = feed(rec, speech(2.5) + silence(1.0))
    kinds = [t.is_final for t in out]
    assert kinds == [False, False, True]


class SlowEngine(FakeEngine):
    """Takes `seconds` of wall time per call, as Whisper does."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def __call__(self, audio: Audio) -> Transcript:
        import time

        time.sleep(self.seconds)
        return super().__call__(audio)


def test_early_decode_is_the_final() -> None:
    """After 0.3 s of silence the utterance is decoded in the background; the endpoint at
    0.7 s hands out that result: one decode, the same audio the endpoint would have sent."""
    engine = FakeEngine()
    rec = recognizer(engine, early_decode_s=0.3, tail_s=0.2)
    finals = feed(rec, silence(0.5) + speech(1.0) + silence(1.0))
    assert [t.text for t in finals] == ["utt1"]
    assert len(engine.calls) == 1 and (rec.early_used, rec.early_wasted) == (1, 0)
    late = FakeEngine()
    feed(recognizer(late, tail_s=0.2), silence(0.5) + speech(1.0) + silence(1.0))
    assert engine.calls[0].pcm == late.calls[0].pcm


def test_early_decode_overlaps_the_wait() -> None:
    import time

    engine = SlowEngine(0.3)
    rec = recognizer(engine, early_decode_s=0.3)
    feed(rec, silence(0.5) + speech(1.0) + silence(0.64))  # endpoint not reached yet
    time.sleep(0.35)  # the caller's silence goes on; the decode runs meanwhile
    started = time.perf_counter()
    finals = feed(rec, silence(0.2))
    assert [t.text for t in finals] == ["utt1"]
    assert time.perf_counter() - started < 0.15  # the result was ready


def test_speech_after_early_decode_throws_it_away() -> None:
    engine = FakeEngine()
    rec = recognizer(engine, early_decode_s=0.3)
    finals = feed(rec, speech(0.8) + silence(0.4) + speech(0.8) + silence(1.0))
    assert len(finals) == 1
    # The final has the whole utterance (the early decode of the first half may finish
    # before or after it: it runs on its own thread).
    assert max(call.duration_s for call in engine.calls) > 1.9
    assert rec.early_wasted == 1 and rec.early_used == 1


def test_early_decode_off_when_not_before_the_endpoint() -> None:
    engine = FakeEngine()
    rec = recognizer(engine, early_decode_s=0.8)  # later than the 0.7 s endpoint: nothing
    feed(rec, speech(1.0) + silence(1.0))
    assert len(engine.calls) == 1 and (rec.early_used, rec.early_wasted) == (0, 0)


def test_early_decode_failure_reaches_the_caller() -> None:
    def broken(audio: Audio) -> Transcript:
        raise RuntimeError("decoder crashed")

    rec = recognizer(broken, early_decode_s=0.3)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="decoder crashed"):
        feed(rec, speech(1.0) + silence(1.0))


def test_early_decodes_run_on_threads_the_interpreter_waits_for() -> None:
    """A daemon thread still inside the decoder at exit made CTranslate2 abort the process
    ("terminate called without an active exception"). Fed from a daemon thread (as a
    server's worker may be), the decode thread must still not be one."""
    import threading

    seen: list[threading.Thread] = []

    class Recording(FakeEngine):
        def __call__(self, audio: Audio) -> Transcript:
            seen.append(threading.current_thread())
            return super().__call__(audio)

    rec = recognizer(Recording(), early_decode_s=0.3)
    feeder = threading.Thread(target=feed, args=(rec, speech(1.0) + silence(1.0)), daemon=True)
    feeder.start()
    feeder.join(10)
    assert rec.early_used == 1
    assert seen and seen[0].name.startswith("asr-early-decode") and not seen[0].daemon
