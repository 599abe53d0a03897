"""Speech out with espeak-ng (Debian package `espeak-ng`), voice `cmn-latn-pinyin`.

espeak-ng's `cmn` voice is broken in bookworm (it reads the tone digits with English
rules), so the Chinese text is first written as numbered pinyin with pypinyin ("ni2 hao3")
and read by the `cmn-latn-pinyin` voice, which takes pinyin syllables with tone numbers.
Its WAV (22,050 Hz) is converted to the bot's 16 kHz mono PCM. Robotic but offline,
fast (tens of milliseconds a sentence) and free of licence questions.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from typing import Any

from bot.errors import BotError
from bot.voice.base import SAMPLE_RATE, Audio
from bot.voice.speech_text import speakable

log = logging.getLogger(__name__)

DEFAULT_VOICE = "cmn-latn-pinyin"
_SYLLABLE = re.compile(r"^[a-zü]+[1-5]$")
_PAUSE = {"，": ",", "、": ",", "；": ",", "：": ",", "。": ".", "！": ".", "？": "."}
_CACHE_SIZE = 256  # prompts such as "请问这个回答对您有帮助吗？" repeat on every call


class TtsError(BotError):
    """Speech could not be synthesized."""


def _pypinyin() -> Any:
    try:
        import pypinyin
    except ImportError as err:  # pragma: no cover - pinned in requirements/app.txt
        raise TtsError(
            "pypinyin is not installed: `.venv/bin/pip install pypinyin==0.55.0`"
        ) from err
    return pypinyin


def to_pinyin(text: str) -> str:
    """Chinese text (numbers already in words) -> numbered pinyin for espeak-ng:
    "您好，请说。" -> "nin2 hao3 , qing3 shuo1 ." Capital letters stay (espeak spells them)."""
    pypinyin = _pypinyin()
    tokens = pypinyin.lazy_pinyin(
        speakable(text),
        style=pypinyin.Style.TONE3,
        neutral_tone_with_five=True,
        tone_sandhi=True,
        errors=lambda chunk: list(chunk),
    )
    out: list[str] = []
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        if _SYLLABLE.match(token):
            out.append(token.replace("ü", "v"))
        elif token in _PAUSE:
            if out and out[-1] not in (",", "."):
                out.append(_PAUSE[token])
        elif token.isascii() and token.isalpha():
            out.append(token.upper())
    while out and out[0] in (",", "."):
        out.pop(0)
    return " ".join(out)


def parse_wav(data: bytes) -> tuple[bytes, int, int]:
    """RIFF/WAVE 16-bit PCM -> (pcm, sample_rate, channels). espeak-ng writing to a pipe
    cannot seek back, so its header claims a huge data size: the data runs to the end."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise TtsError(f"espeak-ng did not return WAV audio (first bytes {data[:12]!r})")
    pos, rate, channels, bits = 12, 0, 0, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk == b"fmt ":
            fmt = int.from_bytes(data[body : body + 2], "little")
            channels = int.from_bytes(data[body + 2 : body + 4], "little")
            rate = int.from_bytes(data[body + 4 : body + 8], "little")
            bits = int.from_bytes(data[body + 14 : body + 16], "little")
            if fmt != 1 or bits != 16:
                raise TtsError(
                    f"espeak-ng WAV is format {fmt} with {bits}-bit samples; expected 16-bit PCM"
                )
        elif chunk == b"data":
            if not rate or not channels:
                raise TtsError("espeak-ng WAV has its data before its format chunk")
            pcm = data[body : body + min(size, len(data) - body)]
            return pcm[: len(pcm) - len(pcm) % (2 * channels)], rate, channels
        pos = body + size + (size & 1)
    raise TtsError("espeak-ng WAV has no data chunk")


class EspeakSynthesizer:
    """`Synthesizer` over the espeak-ng command (one short process per utterance)."""

    name = "espeak-ng"

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        speed_wpm: int = 210,
        pitch: int = 50,
        timeout_s: float = 15.0,
        executable: str = "espeak-ng",
    ) -> None:
        if not 80 <= speed_wpm <= 450:
            raise TtsError(f"espeak-ng speed {speed_wpm} words a minute is not in 80-450")
        if not 0 <= pitch <= 99:
            raise TtsError(f"espeak-ng pitch {pitch} is not in 0-99")
        self.voice = voice
        self.speed_wpm = speed_wpm
        self.pitch = pitch
        self.timeout_s = timeout_s
        self.executable = executable
        self._cache: OrderedDict[str, Audio] = OrderedDict()
        self._lock = threading.Lock()

    def _binary(self) -> str:
        path = shutil.which(self.executable)
        if path is None:
            raise TtsError(
                f"{self.executable} not found: install it with "
                "`apt-get install -y espeak-ng` (make install does)"
            )
        return path

    def load(self) -> None:
        """Check once, at start, that the program and the voice are there, and warm up
        (pypinyin's dictionaries, the resampler's imports: seconds on a busy machine)
        before the first caller waits for them."""
        result = subprocess.run(
            [self._binary(), "--voices=cmn"],
            capture_output=True,
            timeout=self.timeout_s,
            check=False,
        )
        if self.voice.encode() not in result.stdout:
            raise TtsError(
                f"espeak-ng has no voice {self.voice!r}; its Mandarin voices: "
                f"{result.stdout.decode(errors='replace').strip()[:300]}"
            )
        self._run(to_pinyin("您好"))

    def synthesize(self, text: str) -> Audio:
        """Text (written or already speakable) -> 16 kHz mono PCM; empty text -> no samples."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        pinyin = to_pinyin(text)
        audio = self._run(pinyin) if pinyin else Audio(b"")
        with self._lock:
            self._cache[text] = audio
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return audio

    def _run(self, pinyin: str) -> Audio:
        from bot.voice.audio import downmix_pcm, resample_pcm

        argv = [
            self._binary(),
            "-v",
            self.voice,
            "-s",
            str(self.speed_wpm),
            "-p",
            str(self.pitch),
            "--stdout",
        ]
        try:
            # Text on stdin: no argv length limit, and a text starting with "-" is no option.
            result = subprocess.run(
                argv,
                input=pinyin.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise TtsError(
                f"espeak-ng took over {self.timeout_s:.0f} s for "
                f"{len(pinyin)} characters of pinyin; shorten the text"
            ) from err
        if result.returncode != 0:
            raise TtsError(
                f"espeak-ng failed (exit {result.returncode}): "
                f"{result.stderr.decode(errors='replace').strip()[:300]}"
            )
        pcm, rate, channels = parse_wav(result.stdout)
        mono = downmix_pcm(pcm, channels)
        return Audio(resample_pcm(mono, rate, SAMPLE_RATE))
