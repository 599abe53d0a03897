"""Pick and build the transcriber the settings ask for.

`auto` takes Vosk when the deployer configured a Vosk model folder (the design's streaming
engine; whether the folder holds a Chinese model cannot be told from its files, so a
configured BOT_VOSK_MODEL_DIR is taken as the deployer's choice) and Whisper otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from bot.errors import ConfigError
from bot.voice.base import Transcriber
from bot.voice.config import VoiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineChoice:
    engine: str  # "vosk" or "whisper"
    reason: str


def choose_engine(voice: VoiceSettings, engine: str | None = None) -> EngineChoice:
    """Which engine to run; `engine` (e.g. from --engine) overrides BOT_ASR_ENGINE."""
    wanted = (engine or voice.asr_engine).lower()
    if wanted == "vosk":
        if voice.vosk_model_dir is None:
            raise ConfigError(
                "the vosk engine needs BOT_VOSK_MODEL_DIR, the folder of an unzipped Vosk model "
                "(e.g. vosk-model-small-cn-0.22); or use --engine whisper"
            )
        return EngineChoice("vosk", "asked for")
    if wanted == "whisper":
        return EngineChoice("whisper", "asked for")
    if wanted != "auto":
        raise ConfigError(f"ASR engine {wanted!r} is not one of auto, vosk, whisper")
    if voice.vosk_model_dir is None:
        return EngineChoice("whisper", "no Vosk model configured")
    if not voice.vosk_model_dir.is_dir():
        # Configured but missing: the deployer meant Vosk, so say so loudly, yet keep answering.
        log.warning("BOT_VOSK_MODEL_DIR=%s does not exist; falling back to whisper",
                    voice.vosk_model_dir)
        return EngineChoice("whisper", f"Vosk model folder {voice.vosk_model_dir} not found")
    return EngineChoice("vosk", f"Vosk model configured at {voice.vosk_model_dir}")


def make_transcriber(
    voice: VoiceSettings, kb_dir: Path | None = None, engine: str | None = None
) -> Transcriber:
    """The transcriber (not loaded yet: call load() at start-up). With BOT_ASR_PROMPT=domain,
    `kb_dir` feeds Whisper's domain prompt."""
    choice = choose_engine(voice, engine)
    log.info("ASR engine: %s (%s)", choice.engine, choice.reason)
    if choice.engine == "vosk":
        from bot.voice.vosk_engine import VoskTranscriber

        assert voice.vosk_model_dir is not None
        return VoskTranscriber(voice.vosk_model_dir, max_seconds=voice.asr_max_seconds)
    from bot.voice.prompt import build_domain_prompt
    from bot.voice.whisper import WhisperOptions, WhisperTranscriber

    prompt = ""
    if voice.asr_prompt == "domain" and kb_dir is not None:
        prompt = build_domain_prompt(kb_dir)
    from bot.voice.streaming import EARLY_DECODE_S
    from bot.voice.vad import VadConfig

    # Unset keys keep the engine's measured defaults.
    options = WhisperOptions(cpu_threads=voice.asr_threads, workers=voice.asr_workers,
                             lm_weight=voice.asr_lm_weight)
    if voice.asr_beam is not None:
        options = replace(options, beam_size=voice.asr_beam)
    vad = VadConfig()
    if voice.asr_end_silence_s is not None:
        vad = replace(vad, end_silence_s=voice.asr_end_silence_s)
    return WhisperTranscriber(
        voice.whisper_model_dir,
        prompt=prompt,
        options=options,
        max_seconds=voice.asr_max_seconds,
        partial_interval_s=voice.asr_partial_s or None,
        vad=vad,
        early_decode_s=(EARLY_DECODE_S if voice.asr_early_s is None
                        else voice.asr_early_s or None),  # 0: off
        lm_dir=voice.asr_lm_dir,
    )
