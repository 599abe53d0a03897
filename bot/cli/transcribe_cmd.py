"""`bot transcribe FILE... [--engine vosk|whisper|auto] [--json]`: offline transcription of
recorded calls. A file that cannot be used gets an error line (or error object) of its own;
the others are still transcribed, and the exit code is 1 if any failed."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bot.errors import BotError
from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "transcribe",
        help="把录音文件转写成文字（语音识别）",
        description="Transcribe audio files (WAV, FLAC, MP3, OGG, WebM/Opus, raw 16-bit PCM) "
        "and print text, confidence and timing per file.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--engine", choices=("auto", "vosk", "whisper"),
                   help="ASR engine (default: BOT_ASR_ENGINE, else auto)")
    p.add_argument("--json", action="store_true", help="print one JSON list, one object a file")
    p.add_argument("--rate", type=int, metavar="HZ",
                   help="sample rate of raw PCM input (.pcm/.raw files, or any file with this)")
    p.add_argument("--channels", type=int, default=1, help="channels of raw PCM input")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.voice.audio import decode_file
    from bot.voice.config import VoiceSettings
    from bot.voice.factory import choose_engine, make_transcriber

    voice = VoiceSettings.load(settings)
    choice = choose_engine(voice, args.engine)
    print(f"ASR engine: {choice.engine} ({choice.reason})", file=sys.stderr)
    transcriber = make_transcriber(voice, settings.kb_dir, choice.engine)
    started = time.perf_counter()
    transcriber.load()
    print(f"model loaded in {time.perf_counter() - started:.1f} s"
          + (f"; {transcriber.lm_status}" if hasattr(transcriber, "lm_status") else ""),
          file=sys.stderr)

    results: list[dict[str, Any]] = []
    failed = 0
    for path in args.files:
        try:
            audio = decode_file(path, sample_rate=args.rate, channels=args.channels,
                                max_seconds=voice.asr_max_seconds)
            result = transcriber.transcribe(audio)
        except BotError as err:
            failed += 1
            item: dict[str, Any] = {"file": str(path), "error": str(err),
                                    "engine": transcriber.name}
            results.append(item)
            if not args.json:
                print(f"Error: {err}", file=sys.stderr)  # the message names the file
            continue
        item = {
            "file": str(path),
            "text": result.text,
            "engine": result.engine,
            "duration_s": round(result.duration_s, 3),
            "processing_s": round(result.processing_s, 3),
            "rtf": round(result.processing_s / result.duration_s, 3) if result.duration_s else None,
            "confidence": round(result.confidence, 4),
            "heard": bool(result.text),
            "words": [
                {"text": w.text, "start_s": round(w.start_s, 2), "end_s": round(w.end_s, 2),
                 "confidence": round(w.confidence, 3)}
                for w in result.words
            ],
        }
        results.append(item)
        if not args.json:
            text = result.text or "（未听到语音）"
            print(f"{path}\t{text}\tconfidence {result.confidence:.2f}\t"
                  f"{result.duration_s:.2f} s audio in {result.processing_s:.2f} s")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    return 1 if failed else 0
