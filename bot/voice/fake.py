"""A deterministic stand-in transcriber for tests, demos and benchmarks without a model:
it "hears" a fixed text whenever the audio has speech energy.

Endpointing is by energy in 20 ms frames: speech starts after `min_speech_s` of frames
above `threshold_dbfs`, and ends after `end_silence_s` below it; a final transcript (the
fixed text) comes at each end, partials (a growing prefix of it) while speech goes on.
"""

from __future__ import annotations

import math
import time

import numpy as np

from bot.voice.base import SAMPLE_RATE, Audio, StreamingRecognizer, Transcript

FRAME = SAMPLE_RATE // 50  # 20 ms
FRAME_S = FRAME / SAMPLE_RATE


def frame_dbfs(frame: np.ndarray) -> float:
    rms = (
        float(np.sqrt(np.mean(np.square(frame.astype(np.float64) / 32768.0))))
        if len(frame)
        else 0.0
    )
    return 20 * math.log10(rms) if rms > 0 else -120.0


class EnergyStreamingRecognizer:
    def __init__(self, owner: EnergyTranscriber) -> None:
        self._owner = owner
        self._pending = b""
        self._run = 0  # frames in a row on the other side of the threshold
        self._speech_frames = 0
        self.speech_active = False

    def accept(self, pcm: bytes) -> list[Transcript]:
        data = self._pending + pcm
        usable = len(data) - len(data) % (FRAME * 2)
        self._pending = data[usable:]
        out: list[Transcript] = []
        frames = np.frombuffer(data[:usable], dtype="<i2").reshape(-1, FRAME)
        owner = self._owner
        for frame in frames:
            loud = frame_dbfs(frame) > owner.threshold_dbfs
            self._run = 0 if loud == self.speech_active else self._run + 1
            if self.speech_active:
                self._speech_frames += 1
                if self._run * FRAME_S >= owner.end_silence_s:
                    self.speech_active, self._run = False, 0
                    out.append(owner.result(self._speech_frames * FRAME_S, final=True))
                elif owner.partials and self._speech_frames % round(0.5 / FRAME_S) == 0:
                    out.append(owner.result(self._speech_frames * FRAME_S, final=False))
            elif self._run * FRAME_S >= owner.min_speech_s:
                self.speech_active, self._run = True, 0
                self._speech_frames = round(owner.min_speech_s / FRAME_S)
        return out

    def finish(self) -> Transcript | None:
        if not self.speech_active:
            return None
        self.speech_active = False
        return self._owner.result(self._speech_frames * FRAME_S, final=True)


class EnergyTranscriber:
    name = "fake"

    def __init__(
        self,
        text: str = "身份证丢了怎么补办",
        confidence: float = 0.9,
        threshold_dbfs: float = -40.0,
        min_speech_s: float = 0.1,
        end_silence_s: float = 0.5,
        partials: bool = True,
    ) -> None:
        self.text = text
        self.confidence = confidence
        self.threshold_dbfs = threshold_dbfs
        self.min_speech_s = min_speech_s
        self.end_silence_s = end_silence_s
        self.partials = partials
        self.loaded = 0

    def load(self) -> None:
        self.loaded += 1

    def result(self, duration_s: float, final: bool) -> Transcript:
        # Partials grow about four characters a second, like a caller's speech.
        text = (
            self.text
            if final
            else self.text[: max(1, min(len(self.text) - 1, int(duration_s * 4)))]
        )
        return Transcript(text, self.confidence, self.name, duration_s, 0.0, is_final=final)

    def transcribe(self, audio: Audio) -> Transcript:
        started = time.perf_counter()
        samples = np.frombuffer(audio.pcm[: len(audio.pcm) - len(audio.pcm) % 2], dtype="<i2")
        frames = samples[: len(samples) - len(samples) % FRAME].reshape(-1, FRAME)
        loud = sum(frame_dbfs(f) > self.threshold_dbfs for f in frames)
        text = self.text if loud * FRAME_S >= self.min_speech_s else ""
        return Transcript(
            text,
            self.confidence if text else 0.0,
            self.name,
            audio.duration_s,
            time.perf_counter() - started,
        )

    def stream(self) -> StreamingRecognizer:
        return EnergyStreamingRecognizer(self)
