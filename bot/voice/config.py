"""Speech-recognition settings, read once at the edge like bot/settings.py.

Keys (environment > `.env` > defaults):
  BOT_ASR_ENGINE         auto | vosk | whisper (default auto: Vosk when a model dir is set)
  BOT_VOSK_MODEL_DIR     an unzipped Vosk model (e.g. vosk-model-small-cn-0.22); default none
  BOT_WHISPER_MODEL_DIR  the faster-whisper folder `bot build model` makes
                         (default <BOT_BUILD_DIR>/models/whisper-base)
  BOT_ASR_MAX_SECONDS    longest audio accepted per file or utterance (default 600)
  BOT_ASR_THREADS        CPU threads for one Whisper model (default 2)
  BOT_ASR_WORKERS        Whisper decodes that may run at once, each on its own model
                         replica (~150 MB) with BOT_ASR_THREADS threads (default 2: two
                         callers' utterances decode side by side instead of queueing; 1 saves
                         the memory; bench/bench_telephony.py measured 1 x 2 threads, 2 x 1
                         and 2 x 2)
  BOT_ASR_PROMPT         Whisper's initial prompt: none (default) or domain (the hotline
                         vocabulary from the knowledge base; see bench/bench_asr.py for why
                         it is off by default)
  BOT_ASR_PARTIAL_S      Whisper streaming: a partial transcript every this many seconds of
                         speech (default 0: finals only, the cheap choice on 2 cores)
  BOT_ASR_BEAM           Whisper beam size 1-10 (default: the engine's, 10; 1 is faster and
                         less accurate, see bench/bench_asr.py)
  BOT_ASR_END_SILENCE_S  streaming: silence that ends an utterance, 0.2-3 s (default: the
                         engine's, 0.7; shorter cuts callers off at pauses, see
                         bench/bench_voice.py --endpoints)
  BOT_ASR_EARLY_S        streaming: start decoding after this much silence, before the
                         endpoint (0: off; default: the engine's, 0.3)
  BOT_ASR_LM_WEIGHT      weight of the character language model when Whisper's n-best list
                         is rescored, 0-3 (default 0.3, chosen on AISHELL dev files; 0: off,
                         Whisper's own best)
  BOT_ASR_LM_DIR         the language model `bot build lm` makes
                         (default <BOT_BUILD_DIR>/models/asr-lm)
  BOT_ASR_LM_CORPUS      files and folders of the hotline's own text (ticket exports CSV/
                         XLSX, text, JSON lines), separated by ':', that `bot build lm` reads
                         besides the knowledge base (default none: the knowledge base alone)
Unset keys (BEAM, END_SILENCE, EARLY) leave the engine's own defaults, which are the
measured ones (bot/voice/whisper.py, streaming.py, vad.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import PROJECT_ROOT, Settings, _read_dotenv

ENGINES = ("auto", "vosk", "whisper")
PROMPTS = ("none", "domain")


@dataclass(frozen=True)
class VoiceSettings:
    asr_engine: str = "auto"
    vosk_model_dir: Path | None = None
    whisper_model_dir: Path = PROJECT_ROOT / "build" / "models" / "whisper-base"
    # 10 minutes: a recorded call is rarely longer; an hour of 16 kHz float32 would be
    # 230 MB before Whisper's own buffers.
    asr_max_seconds: float = 600.0
    asr_threads: int = 2
    asr_partial_s: float = 0.0
    asr_prompt: str = "none"
    asr_beam: int | None = None
    asr_end_silence_s: float | None = None
    asr_early_s: float | None = None
    asr_workers: int = 2
    asr_lm_weight: float = 0.3
    asr_lm_dir: Path = PROJECT_ROOT / "build" / "models" / "asr-lm"
    asr_lm_corpus: tuple[Path, ...] = ()

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        environ: Mapping[str, str] | None = None,
        dotenv: Path | None = PROJECT_ROOT / ".env",
    ) -> VoiceSettings:
        source: dict[str, str] = _read_dotenv(dotenv) if dotenv else {}
        source.update(os.environ if environ is None else environ)
        build_dir = settings.build_dir if settings is not None else PROJECT_ROOT / "build"

        engine = source.get("BOT_ASR_ENGINE", "auto").strip().lower()
        if engine not in ENGINES:
            raise ConfigError(
                f"BOT_ASR_ENGINE={source['BOT_ASR_ENGINE']!r} is not one of {', '.join(ENGINES)}"
            )
        vosk_raw = source.get("BOT_VOSK_MODEL_DIR", "").strip()
        vosk_dir = Path(vosk_raw).expanduser().resolve() if vosk_raw else None
        whisper_raw = source.get("BOT_WHISPER_MODEL_DIR", "").strip()
        whisper_dir = (
            Path(whisper_raw).expanduser().resolve()
            if whisper_raw
            else build_dir / "models" / "whisper-base"
        )
        max_s = _number(source, "BOT_ASR_MAX_SECONDS", cls.asr_max_seconds)
        if not 1.0 <= max_s <= 4 * 3600:
            raise _bad(source, "BOT_ASR_MAX_SECONDS", "must be between 1 and 14400 seconds")
        threads = _number(source, "BOT_ASR_THREADS", cls.asr_threads)
        if threads != int(threads) or not 1 <= threads <= 64:
            raise _bad(source, "BOT_ASR_THREADS", "must be a whole number 1-64")
        workers = _number(source, "BOT_ASR_WORKERS", cls.asr_workers)
        if workers != int(workers) or not 1 <= workers <= 16:
            raise _bad(source, "BOT_ASR_WORKERS", "must be a whole number 1-16")
        partial = _number(source, "BOT_ASR_PARTIAL_S", cls.asr_partial_s)
        if partial != 0 and not 0.5 <= partial <= 30:
            raise _bad(source, "BOT_ASR_PARTIAL_S", "must be 0 (off) or between 0.5 and 30 seconds")
        prompt = source.get("BOT_ASR_PROMPT", "none").strip().lower()
        if prompt not in PROMPTS:
            raise ConfigError(
                f"BOT_ASR_PROMPT={source['BOT_ASR_PROMPT']!r} is not one of {', '.join(PROMPTS)}"
            )
        beam = _optional(source, "BOT_ASR_BEAM")
        if beam is not None and (beam != int(beam) or not 1 <= beam <= 10):
            raise _bad(source, "BOT_ASR_BEAM", "must be a whole number 1-10")
        end = _optional(source, "BOT_ASR_END_SILENCE_S")
        if end is not None and not 0.2 <= end <= 3.0:
            raise _bad(source, "BOT_ASR_END_SILENCE_S", "must be between 0.2 and 3 seconds")
        early = _optional(source, "BOT_ASR_EARLY_S")
        if early is not None and early != 0 and not 0.1 <= early <= 3.0:
            raise _bad(source, "BOT_ASR_EARLY_S", "must be 0 (off) or between 0.1 and 3 seconds")
        if early:
            from bot.voice.vad import VadConfig

            ends_at = VadConfig().end_silence_s if end is None else end
            if early >= ends_at:
                raise _bad(source, "BOT_ASR_EARLY_S",
                           f"must be shorter than the silence that ends an utterance "
                           f"({ends_at:g} s, BOT_ASR_END_SILENCE_S), or 0 (off): it would "
                           "never start")
        lm_weight = _number(source, "BOT_ASR_LM_WEIGHT", cls.asr_lm_weight)
        if not 0.0 <= lm_weight <= 3.0:
            raise _bad(source, "BOT_ASR_LM_WEIGHT", "must be between 0 (off) and 3")
        lm_raw = source.get("BOT_ASR_LM_DIR", "").strip()
        lm_dir = (Path(lm_raw).expanduser().resolve() if lm_raw
                  else build_dir / "models" / "asr-lm")
        corpus = tuple(Path(p.strip()).expanduser().resolve()
                       for p in source.get("BOT_ASR_LM_CORPUS", "").split(os.pathsep) if p.strip())
        voice = cls(engine, vosk_dir, whisper_dir, max_s, int(threads), partial, prompt,
                    None if beam is None else int(beam), end, early, int(workers),
                    lm_weight, lm_dir, corpus)
        if engine == "vosk" and vosk_dir is None:
            raise ConfigError(
                "BOT_ASR_ENGINE=vosk needs BOT_VOSK_MODEL_DIR, the folder of an unzipped Vosk "
                "model such as vosk-model-small-cn-0.22 (see the README's voice section)"
            )
        return voice


def _typed(source: Mapping[str, str], key: str) -> str:
    """The value as the deployer wrote it, for error messages (0, not 0.0)."""
    return repr(source.get(key, "").strip())


def _bad(source: Mapping[str, str], key: str, rule: str) -> ConfigError:
    return ConfigError(f"{key}={_typed(source, key)} {rule}")


def _optional(source: Mapping[str, str], key: str) -> float | None:
    raw = source.get(key)
    return None if raw is None or not raw.strip() else _number(source, key, 0.0)


def _number(source: Mapping[str, str], key: str, default: float) -> float:
    raw = source.get(key)
    if raw is None or not raw.strip():
        return float(default)
    try:
        return float(raw)
    except ValueError as err:
        raise ConfigError(f"{key}={raw!r} is not a number") from err
