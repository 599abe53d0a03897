"""Vosk (Kaldi) speech recognition: the design's streaming engine. It needs a model folder
the deployer supplies (vosk-model-small-cn-0.22 or vosk-model-cn-0.22 for Mandarin).

The recognizer runs at the model's own rate (conf/mfcc.conf --sample-frequency, 16 kHz for
the Chinese models, 8 kHz for some telephone models); the bot's 16 kHz PCM is resampled to
it. Kaldi endpointing (conf/model.conf rules) decides when an utterance is final.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, InputError
from bot.text.simplify import to_simplified
from bot.voice.audio import DEFAULT_MAX_SECONDS, StreamResampler
from bot.voice.base import SAMPLE_RATE, Audio, StreamingRecognizer, Transcript, Word
from bot.voice.vad import FRAME, VoiceActivity

log = logging.getLogger(__name__)

# Chinese Vosk models put a space between words (我 想 办理 社保卡); the dialog reads
# Mandarin without spaces. Spaces in Korean or between Latin words stay.
_HAN_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_CHUNK_S = 0.2  # what transcribe() feeds per AcceptWaveform call
# Non-lexical tokens some models emit ([unk], [noise], [laughter], the Korean model's [1]).
_MARKER = re.compile(r"\[[^\]\s]*\]")


def model_sample_rate(model_dir: Path) -> int:
    """The rate the model's features expect: --sample-frequency in conf/mfcc.conf (Kaldi's
    default 16000 when absent)."""
    conf = model_dir / "conf" / "mfcc.conf"
    if conf.is_file():
        for line in conf.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip().startswith("--sample-frequency="):
                try:
                    return int(float(line.split("=", 1)[1]))
                except ValueError:
                    break
    return 16000


def check_model_dir(model_dir: Path) -> None:
    if not model_dir.is_dir():
        raise ConfigError(
            f"BOT_VOSK_MODEL_DIR={str(model_dir)!r} is not a folder; unzip a Vosk model "
            "(e.g. vosk-model-small-cn-0.22) and point BOT_VOSK_MODEL_DIR at it"
        )
    if not (model_dir / "am" / "final.mdl").is_file() or not (model_dir / "conf").is_dir():
        raise ConfigError(
            f"BOT_VOSK_MODEL_DIR={str(model_dir)!r} does not look like a Vosk model (no "
            "am/final.mdl or conf/); point it at the folder that holds am/, conf/ and graph/"
        )


def _clean_text(text: str) -> str:
    text = " ".join(_MARKER.sub(" ", text).split())
    return to_simplified(_HAN_GAP.sub("", text))


def _words(items: list[dict[str, Any]]) -> tuple[Word, ...]:
    return tuple(
        Word(_clean_text(str(w.get("word", ""))), float(w.get("start", 0.0)),
             float(w.get("end", 0.0)), float(w.get("conf", 1.0)))
        for w in items if _clean_text(str(w.get("word", "")))
    )


def _confidence(words: tuple[Word, ...]) -> float:
    return round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0


class VoskTranscriber:
    name = "vosk"

    def __init__(self, model_dir: Path, max_seconds: float = DEFAULT_MAX_SECONDS) -> None:
        self.model_dir = Path(model_dir)
        self.max_seconds = max_seconds
        self.sample_rate = SAMPLE_RATE
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            check_model_dir(self.model_dir)
            try:
                import vosk
            except ImportError as err:
                raise ConfigError(
                    "vosk is not installed; run `.venv/bin/pip install -r requirements/app.txt`"
                ) from err
            vosk.SetLogLevel(-1)  # Kaldi logs every model part to stderr otherwise
            started = time.perf_counter()
            try:
                # Always with a path: vosk.Model() without one downloads from the internet.
                self._model = vosk.Model(model_path=str(self.model_dir))
            except Exception as err:  # vosk raises a bare Exception("Failed to create a model")
                raise ConfigError(
                    f"Vosk could not load the model in {self.model_dir} ({err}); the folder "
                    "is incomplete or not a Vosk model: unzip the model again"
                ) from err
            self.sample_rate = model_sample_rate(self.model_dir)
            log.info("vosk model %s loaded in %.1f s (%d Hz)", self.model_dir,
                     time.perf_counter() - started, self.sample_rate)

    def recognizer(self) -> Any:
        """A KaldiRecognizer at the model's rate, with word times and confidences."""
        import vosk

        self.load()
        rec = vosk.KaldiRecognizer(self._model, float(self.sample_rate))
        rec.SetWords(True)
        if hasattr(rec, "SetPartialWords"):
            rec.SetPartialWords(True)
        return rec

    def transcribe(self, audio: Audio) -> Transcript:
        if audio.duration_s > self.max_seconds:
            raise InputError(
                f"{audio.duration_s:.0f} s of audio is over the {self.max_seconds:.0f} s "
                "limit (BOT_ASR_MAX_SECONDS); split the recording"
            )
        started = time.perf_counter()
        stream = VoskStreamingRecognizer(self, detect_speech=False)
        step = int(_CHUNK_S * SAMPLE_RATE) * 2
        finals = [t for i in range(0, len(audio.pcm), step)
                  for t in stream.accept(audio.pcm[i : i + step]) if t.is_final]
        last = stream.finish()
        if last is not None:
            finals.append(last)
        words = tuple(w for t in finals for w in t.words)
        text = " ".join(t.text for t in finals)
        return Transcript(
            text=_clean_text(text), confidence=_confidence(words), engine=self.name,
            duration_s=audio.duration_s, processing_s=time.perf_counter() - started, words=words,
        )

    def stream(self) -> StreamingRecognizer:
        return VoskStreamingRecognizer(self)


class VoskStreamingRecognizer:
    """Partials as the caller speaks, a final at each Kaldi endpoint. `speech_active` comes
    from the Silero VAD (barge-in must not wait for the first recognised word)."""

    def __init__(self, engine: VoskTranscriber, detect_speech: bool = True) -> None:
        self._engine = engine
        self._rec = engine.recognizer()
        self._resampler = StreamResampler(SAMPLE_RATE, engine.sample_rate)
        self._activity = VoiceActivity() if detect_speech else None
        self._vad_pending = b""
        self._partial = ""
        self._fed_s = 0.0

    @property
    def speech_active(self) -> bool:
        vad = self._activity is not None and self._activity.active
        return vad or bool(self._partial)

    def accept(self, pcm: bytes) -> list[Transcript]:
        started = time.perf_counter()
        self._watch(pcm)
        data = self._resampler.process(pcm)
        self._fed_s += len(pcm) / 2 / SAMPLE_RATE
        if not data:
            return []
        if self._rec.AcceptWaveform(data):
            final = self._result(json.loads(self._rec.Result()), started)
            self._partial = ""
            return [final] if final is not None else []
        partial = json.loads(self._rec.PartialResult())
        text = _clean_text(partial.get("partial", ""))
        if not text or text == self._partial:
            return []
        self._partial = text
        words = _words(partial.get("partial_result", []))
        return [Transcript(text, _confidence(words), self._engine.name, self._fed_s,
                           time.perf_counter() - started, words, is_final=False)]

    def finish(self) -> Transcript | None:
        started = time.perf_counter()
        tail = self._resampler.flush()
        if tail:
            self._rec.AcceptWaveform(tail)
        self._partial = ""
        return self._result(json.loads(self._rec.FinalResult()), started)

    def _result(self, result: dict[str, Any], started: float) -> Transcript | None:
        words = _words(result.get("result", []))
        text = _clean_text(result.get("text", ""))
        if not text:
            return None
        duration = (words[-1].end_s - words[0].start_s) if words else 0.0
        return Transcript(text, _confidence(words), self._engine.name, duration,
                          time.perf_counter() - started, words, is_final=True)

    def _watch(self, pcm: bytes) -> None:
        if self._activity is None:
            return
        import numpy as np

        data = self._vad_pending + pcm
        usable = len(data) - len(data) % (FRAME * 2)
        self._vad_pending = data[usable:]
        samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
        for frame in samples.reshape(-1, FRAME):
            self._activity.step(frame)
