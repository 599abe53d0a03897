"""Streaming voice-activity detection: Silero VAD (the model faster-whisper bundles) run
frame by frame with its recurrent state carried over, gated by energy.

Silero alone fires on some low-level hum and clicks; a frame quieter than the energy floor is
silence whatever Silero says. Speech starts after `min_speech_s` of speech frames and ends
after `end_silence_s` of silence (hysteresis: once in speech, a lower probability still counts
as speech, so a soft syllable does not end an utterance).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.voice.base import SAMPLE_RATE

FRAME = 512  # samples: 32 ms at 16 kHz, the frame Silero v5/v6 is trained on
_CONTEXT = 64  # samples of the previous frame the model sees in front of each frame
_session_lock = threading.Lock()
_session: Any = None


def _silero_session() -> Any:
    global _session
    with _session_lock:
        if _session is None:
            try:
                from faster_whisper.vad import get_vad_model
            except ImportError as err:
                from bot.errors import ConfigError

                raise ConfigError(
                    "faster-whisper (which bundles Silero VAD) is not installed; run "
                    "`.venv/bin/pip install -r requirements/app.txt`"
                ) from err
            _session = get_vad_model().session
        return _session


class SileroFrameVad:
    """Speech probability per 512-sample frame; one instance per stream (it has state)."""

    def __init__(self) -> None:
        self._session = _silero_session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros((1, _CONTEXT), np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        x = frame.reshape(1, FRAME).astype(np.float32, copy=False)
        out, self._h, self._c = self._session.run(
            None, {"input": np.concatenate([self._context, x], 1), "h": self._h, "c": self._c}
        )
        self._context = x[:, -_CONTEXT:]
        return float(np.asarray(out).reshape(-1)[0])


@dataclass(frozen=True)
class VadConfig:
    threshold: float = 0.5  # Silero probability that starts speech
    neg_threshold: float = 0.35  # below this, a frame inside speech counts as silence
    energy_floor_dbfs: float = -50.0  # quieter frames are silence (line hiss, comfort noise)
    min_speech_s: float = 0.2  # this much speech (within the start window) starts an utterance
    # This much silence after speech ends it (the endpoint). Measured on the 1,000 single
    # sentences of the AISHELL sample (bench_voice.py --endpoints): 0.7 s cuts 0.6 % of them
    # in two, 0.6 s 1.3 %, 0.5 s 3.2 %, 0.4 s 10.7 %, 0.3 s 17.9 %. The wait costs no
    # latency as long as decoding takes longer than it: streaming.py decodes early.
    end_silence_s: float = 0.7
    # What the streaming recognizer cuts out around the detected speech: audio before the
    # start (the first syllable's onset is quieter than the threshold) and after the last
    # speech frame (a soft final syllable, 了 or 吗, reads as silence to the VAD).
    pre_roll_s: float = 0.3
    tail_s: float = 0.2


@dataclass(frozen=True)
class VadEvent:
    kind: str  # "start" or "end"
    frame: int  # index of the frame that triggered it


class VoiceActivity:
    """Feed frames, get start/end events. `active` is True between them (barge-in uses it)."""

    def __init__(self, config: VadConfig | None = None, vad: Any = None) -> None:
        self.config = config or VadConfig()
        self._vad = vad if vad is not None else SileroFrameVad()
        frame_s = FRAME / SAMPLE_RATE
        self._start_frames = max(1, round(self.config.min_speech_s / frame_s))
        self._end_frames = max(1, round(self.config.end_silence_s / frame_s))
        self._frame = 0
        self.active = False
        self._run = 0  # speech frames (idle) or silence frames (active) in a row
        self.speech_start_frame = 0

    @staticmethod
    def dbfs(frame: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
        return 20.0 * np.log10(max(rms, 1e-9))

    def is_speech(self, frame: np.ndarray) -> bool:
        prob = self._vad(frame)  # always run: its state must see every frame
        if self.dbfs(frame) < self.config.energy_floor_dbfs:
            return False
        return prob >= (self.config.neg_threshold if self.active else self.config.threshold)

    def step(self, frame: np.ndarray) -> VadEvent | None:
        speech = self.is_speech(frame)
        index = self._frame
        self._frame += 1
        if not self.active:
            self._run = self._run + 1 if speech else 0
            if self._run >= self._start_frames:
                self.active, self._run = True, 0
                self.speech_start_frame = index - self._start_frames + 1
                return VadEvent("start", self.speech_start_frame)
            return None
        self._run = 0 if speech else self._run + 1
        if self._run >= self._end_frames:
            self.active, self._run = False, 0
            return VadEvent("end", index)
        return None

    @property
    def trailing_silence_frames(self) -> int:
        """Silence frames since the last speech frame, while in an utterance."""
        return self._run if self.active else 0

    def force_end(self) -> None:
        """End the current utterance without an endpoint (too long, or the stream closed)."""
        self.active, self._run = False, 0
