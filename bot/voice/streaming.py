"""A streaming recognizer for engines that decode whole utterances (Whisper): voice-activity
endpointing cuts the call into utterances, each one is transcribed when the caller stops.

Timeline: the caller speaks, `speech_active` turns True (the gateway stops playback: barge-in),
the caller pauses `end_silence_s`, the utterance (with `pre_roll_s` of audio before the
detected start, so the first syllable is not clipped) is transcribed and returned as a final
Transcript. Word times are on the stream's clock (seconds since the first chunk).

Early decoding: the endpoint has to wait long enough not to cut a caller off at a comma,
but nothing stops the decoder from starting sooner. After `early_decode_s` of silence the
utterance is decoded in a background thread with exactly the audio the endpoint would send
(the speech plus `tail_s`); when the endpoint comes with no speech in between, that result
is the final, so the wait and the decoding overlap. If the caller goes on speaking, the
early result is thrown away (the CPU it took is the price: on the AISHELL sample 0.19 extra,
shorter decodes per utterance at 0.3 s; bench/bench_voice.py --endpoints, --compare).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace

import numpy as np

from bot.voice.audio import float32_to_pcm16
from bot.voice.base import SAMPLE_RATE, Audio, Transcript
from bot.voice.vad import FRAME, VadConfig, VoiceActivity

log = logging.getLogger(__name__)

FRAME_S = FRAME / SAMPLE_RATE
EARLY_DECODE_S = 0.3


@dataclass
class _Early:
    speech_frames: int  # utterance length (frames) without the trailing silence
    result: Future[Transcript]


def _in_background(work: Callable[[], Transcript]) -> Future[Transcript]:
    """Run `work` on a thread of its own. Not a daemon thread (said explicitly: a thread
    inherits the daemon flag of the thread that starts it): at exit the interpreter waits
    for a decode in flight instead of tearing the decoder down under it, which made
    CTranslate2 abort the process ("terminate called without an active exception")."""
    future: Future[Transcript] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as err:  # noqa: BLE001 - handed to whoever waits for it
            future.set_exception(err)

    threading.Thread(target=run, name="asr-early-decode", daemon=False).start()
    return future


class VadStreamingRecognizer:
    def __init__(
        self,
        transcribe: Callable[[Audio], Transcript],
        *,
        config: VadConfig | None = None,
        activity: VoiceActivity | None = None,
        pre_roll_s: float | None = None,  # default: the VadConfig's
        tail_s: float | None = None,
        max_utterance_s: float = 20.0,
        partial_interval_s: float | None = None,
        early_decode_s: float | None = EARLY_DECODE_S,
    ) -> None:
        self._transcribe = transcribe
        self._activity = activity or VoiceActivity(config)
        cfg = self._activity.config
        pre_roll_s = cfg.pre_roll_s if pre_roll_s is None else pre_roll_s
        tail_s = cfg.tail_s if tail_s is None else tail_s
        self._pre_frames = round(pre_roll_s / FRAME_S) + max(1, round(cfg.min_speech_s / FRAME_S))
        self._tail_frames = round(tail_s / FRAME_S)
        self._end_frames = max(1, round(cfg.end_silence_s / FRAME_S))
        self._max_frames = round(max_utterance_s / FRAME_S)
        self._partial_frames = round(partial_interval_s / FRAME_S) if partial_interval_s else 0
        early = round(early_decode_s / FRAME_S) if early_decode_s else 0
        # Only worth it before the endpoint, and only once the tail the final keeps is in.
        self._early_frames = max(early, self._tail_frames) if 0 < early < self._end_frames else 0
        self._early: _Early | None = None
        self.early_used = self.early_wasted = 0  # for logs and benchmarks
        self._pending = b""
        self._history: deque[np.ndarray] = deque(maxlen=self._pre_frames)
        self._utterance: list[np.ndarray] = []
        self._utterance_start = 0  # frame index on the stream's clock
        self._frames = 0
        self._since_partial = 0
        self.utterances = 0  # finals emitted, for logs and tests

    @property
    def speech_active(self) -> bool:
        """True while the caller is speaking (from VAD start until the endpoint)."""
        return self._activity.active

    def accept(self, pcm: bytes) -> list[Transcript]:
        data = self._pending + pcm
        usable = len(data) - len(data) % (FRAME * 2)
        self._pending = data[usable:]
        out: list[Transcript] = []
        samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
        for frame in samples.reshape(-1, FRAME):
            result = self._step(frame)
            if result is not None:
                out.append(result)
        return out

    def finish(self) -> Transcript | None:
        """Flush: a caller who hangs up mid-sentence still gets that sentence transcribed."""
        if self._pending:
            tail = self._pending[: len(self._pending) - len(self._pending) % 2]
            frame = np.zeros(FRAME, np.float32)
            part = np.frombuffer(tail, dtype="<i2").astype(np.float32) / 32768.0
            frame[: len(part)] = part
            self._pending = b""
            result = self._step(frame)
            if result is not None:
                return result
        if not self._activity.active:
            return None
        self._activity.force_end()
        return self._final(trim_silence=False)

    def _step(self, frame: np.ndarray) -> Transcript | None:
        index = self._frames
        self._frames += 1
        was_active = self._activity.active
        event = self._activity.step(frame)
        if not was_active:
            self._history.append(frame)
            if event is not None and event.kind == "start":
                self._utterance = list(self._history)
                self._utterance_start = index - len(self._utterance) + 1
                self._history.clear()
                self._since_partial = 0
                log.debug("speech started at %.2f s", self._utterance_start * FRAME_S)
            return None
        self._utterance.append(frame)
        if event is not None and event.kind == "end":
            return self._final(trim_silence=True)
        if len(self._utterance) >= self._max_frames:
            log.info("utterance reached %.0f s without a pause; cutting it there",
                     len(self._utterance) * FRAME_S)
            self._activity.force_end()
            return self._final(trim_silence=False)
        silence = self._activity.trailing_silence_frames
        if silence:  # a pause: the final comes soon anyway
            if self._early_frames and silence == self._early_frames:
                self._start_early(len(self._utterance) - silence)
            return None
        self._since_partial += 1
        if self._partial_frames and self._since_partial >= self._partial_frames:
            self._since_partial = 0
            partial = self._run(self._utterance)
            if partial.text:
                return replace(partial, is_final=False)
        return None

    def _start_early(self, speech_frames: int) -> None:
        if self._early is not None and not self._early.result.done():
            return  # one in flight is enough: the endpoint decodes itself if need be
        if self._early is not None:
            self.early_wasted += 1
        audio = self._audio(self._utterance[: speech_frames + self._tail_frames])
        self._early = _Early(speech_frames, _in_background(lambda: self._transcribe(audio)))

    def _final(self, trim_silence: bool) -> Transcript | None:
        frames = self._utterance
        early, self._early = self._early, None
        if trim_silence:  # keep a little of the trailing silence: Whisper ends words better
            frames = frames[: len(frames) - self._end_frames + self._tail_frames]
        self._utterance = []
        speech = len(frames) - self._tail_frames
        if trim_silence and early is not None and early.speech_frames == speech:
            self.early_used += 1
            result = self._shift(early.result.result())
        else:
            self.early_wasted += early is not None
            result = self._run(frames)
        if not result.text:
            log.info("utterance of %.2f s gave no text (noise or unintelligible)",
                     len(frames) * FRAME_S)
            return None
        self.utterances += 1
        return result

    @staticmethod
    def _audio(frames: list[np.ndarray]) -> Audio:
        return Audio(float32_to_pcm16(np.concatenate(frames)))

    def _run(self, frames: list[np.ndarray]) -> Transcript:
        return self._shift(self._transcribe(self._audio(frames)))

    def _shift(self, result: Transcript) -> Transcript:
        """Word times from the utterance's clock to the stream's."""
        offset = self._utterance_start * FRAME_S
        words = tuple(replace(w, start_s=w.start_s + offset, end_s=w.end_s + offset)
                      for w in result.words)
        return replace(result, words=words, is_final=True)
