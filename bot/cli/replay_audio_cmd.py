"""`bot replay-audio FOLDER`: each recorded call in the folder through the whole voice path
(recognition here, dialogs on the running gateway with channel voice, speech out)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import httpx

from bot.errors import BotError, InputError
from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay-audio",
        help="把文件夹中的每个录音作为一通电话走完整语音流程（识别、对话、合成），统计结果",
        description="Replay a folder of recorded calls through the voice path of the running bot.",
    )
    p.add_argument(
        "folder", type=Path, help="folder of WAV/FLAC/MP3/OGG/WebM files (searched recursively)"
    )
    p.add_argument("--out", type=Path, default=None, help="write one result row per call (CSV)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--engine",
        choices=("auto", "vosk", "whisper"),
        default=None,
        help="speech recognition engine (default: BOT_ASR_ENGINE, auto)",
    )
    p.add_argument("--limit", type=int, default=None, help="replay only the first N files")
    p.add_argument(
        "--rate",
        type=int,
        default=None,
        help="sample rate of headerless .pcm/.raw files (e.g. 8000)",
    )
    p.add_argument("--no-tts", action="store_true", help="skip speech synthesis of the replies")
    p.add_argument("--url", default=None, help="gateway URL (default: from the settings)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.replay import summarize
    from bot.voice.config import VoiceSettings
    from bot.voice.factory import make_transcriber
    from bot.voice.replay_audio import COLUMNS, audio_files, audio_summary, replay_folder

    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit {args.limit} must be at least 1")
    files = audio_files(args.folder)[: args.limit]
    url = args.url or f"http://{settings.gateway_host}:{settings.gateway_port}"
    try:
        httpx.get(f"{url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as err:
        raise BotError(f"no bot at {url} ({err}): start it with `bot serve`") from err
    transcriber = make_transcriber(VoiceSettings.load(settings), settings.kb_dir, args.engine)
    transcriber.load()
    synthesizer = None
    if not args.no_tts:
        from bot.voice.tts import EspeakSynthesizer

        synthesizer = EspeakSynthesizer()
        synthesizer.load()
    from tqdm import tqdm

    with tqdm(total=len(files), desc="replay-audio", unit="通", file=sys.stderr) as bar:
        rows = asyncio.run(
            replay_folder(url, files, transcriber, synthesizer, bar.update, args.rate)
        )
    if args.out:
        from bot.kb.tables import write_table

        write_table(args.out, COLUMNS, [_cells(r) for r in rows])
    summary = {
        **summarize([r.row for r in rows]),
        "audio": audio_summary(rows),
        "engine": transcriber.name,
    }
    # As `bot transcribe`: a recording that could not be replayed fails the run (a
    # scheduled replay must notice), after every other one was replayed and reported.
    status = 1 if summary.get("errors") else 0
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return status
    from bot.cli.replay_cmd import print_summary

    print_summary(summary)
    a = summary["audio"]
    print(
        f"语音（{transcriber.name}）：{a['files']} 通，音频 {a['audio_s']} 秒，"
        f"识别用时 {a['asr_s']} 秒（实时率 {a['real_time_factor']}），"
        f"{a['utterances']} 句，未听到语音 {a['no_speech']} 通"
    )
    if args.out:
        print(f"逐通结果：{args.out}")
    if status:
        print(f"Error: {summary['errors']} 通录音回放出错（见上面的统计"
              + ("和逐通结果" if args.out else "，加 --out 可看逐通原因") + "）", file=sys.stderr)
    return status


def _cells(row: object) -> list[str]:
    from dataclasses import asdict

    from bot.voice.replay_audio import COLUMNS

    values = asdict(row)  # type: ignore[call-overload]
    flat = {**{k: v for k, v in values.items() if k != "row"}, **values["row"]}
    return ["" if flat[c] is None else str(flat[c]) for c in COLUMNS]
