"""Fast barge-in: caller speech energy while the bot talks stops playback at once.

The recognizer's VAD (Silero) starts an utterance only after 0.2 s of confident speech,
and Silero needs a few frames to become confident: 0.2-0.6 s after a real caller starts
talking (bench/bench_telephony.py), which callers hear as the bot talking over them.
Energy reacts within 60 ms. It also fires on a cough or a door, so the flow treats an
energy onset as provisional: playback stops, and if the VAD has not confirmed speech
within `confirm_s` the rest of the prompt is played again from a little before the cut.

The threshold follows the line: `margin_db` above its noise floor, the quietest frame of
the last `window_s` (minimum statistics: steady street noise or hum sets the floor,
speech with its pauses does not), and never below `floor_dbfs`: -45 dBFS, 20 dB under
the speech of a quiet caller (AISHELL's quietest speakers peak at -30 dBFS), above the
residual echo of the bot's own voice that a PSTN echo canceller leaves (ERLE >= 30 dB).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from bot.telephony.call import FRAME_BYTES, FRAME_MS


class EnergyOnset:
    def __init__(
        self,
        min_s: float = 0.06,
        margin_db: float = 12.0,
        floor_dbfs: float = -45.0,
        window_s: float = 1.5,
    ) -> None:
        self.min_frames = max(1, round(min_s * 1000 / FRAME_MS))
        self.margin_db = margin_db
        self.floor_dbfs = floor_dbfs
        self._levels: deque[float] = deque(maxlen=max(1, round(window_s * 1000 / FRAME_MS)))
        self._run = 0
        self._pending = b""

    @property
    def noise_dbfs(self) -> float:
        """The floor: the quietest frame before the current loud run. A run as long as the
        window is steady noise, not an onset, and becomes the floor itself."""
        levels = list(self._levels)
        steady = self._run >= (self._levels.maxlen or 1)
        before = levels if steady else levels[: max(0, len(levels) - self._run)]
        return min(before, default=-90.0)

    def reset(self) -> None:
        self._run = 0

    def feed(self, pcm: bytes) -> bool:
        """8 kHz PCM of any length; True once `min_s` of loud frames in a row has come."""
        data = self._pending + pcm
        usable = len(data) - len(data) % FRAME_BYTES
        self._pending = data[usable:]
        onset = False
        frames = np.frombuffer(data[:usable], "<i2").reshape(-1, FRAME_BYTES // 2)
        for frame in frames.astype(np.float64):
            rms = float(np.sqrt(np.mean(frame * frame)))
            level = 20 * np.log10(max(rms, 1.0) / 32768)
            loud = level > max(self.floor_dbfs, self.noise_dbfs + self.margin_db)
            self._run = self._run + 1 if loud else 0
            self._levels.append(level)
            onset = onset or self._run >= self.min_frames
        return onset
