"""`bot build [all|model|index|lm|rasa]` and `bot kb build`: everything the install step builds,
each part rebuilt only when its inputs changed (use --force to rebuild anyway)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bot.settings import Settings

PARTS = ("model", "index", "lm", "rasa")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "build",
        help="构建模型、FAQ 索引与 rasa 模型（输入未变化时跳过）",
        description="Build the e5 and Whisper model folders, the FAQ index, the speech "
        "recognition language model and the rasa model.",
    )
    p.add_argument("part", nargs="?", default="all", choices=("all", *PARTS))
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("--corpus", nargs="+", type=Path, metavar="PATH",
                   help="lm: files or folders of the hotline's own text, read besides the "
                   "knowledge base (default: BOT_ASR_LM_CORPUS)")
    p.set_defaults(func=run)


def register_kb_build(kb_subparsers: argparse._SubParsersAction) -> None:
    p = kb_subparsers.add_parser("build", help="构建并发布 FAQ 索引的新版本")
    p.add_argument("--force", action="store_true", help="rebuild even if the KB is unchanged")
    p.set_defaults(func=lambda args, settings: build_index(settings, args.force))


def run(args: argparse.Namespace, settings: Settings) -> int:
    parts = PARTS if args.part == "all" else (args.part,)
    if args.corpus and "lm" not in parts:
        print("Error: --corpus is for `bot build lm` (or all)")
        return 2
    for part in parts:
        if part == "lm":
            build_asr_lm(settings, args.force, args.corpus)
            continue
        {"model": build_model, "index": build_index, "rasa": build_rasa}[part](settings, args.force)
    return 0


def build_model(settings: Settings, force: bool = False) -> None:
    from bot.voice.whisper_build import build_whisper_model

    if settings.embedder == "e5":
        from bot.embed.e5_convert import convert

        started = time.perf_counter()
        path = convert(settings.e5_model_dir, force=force)
        print(f"model: {path} ready ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    path = build_whisper_model(settings, force=force)
    print(f"model: {path} ready ({time.perf_counter() - started:.1f} s)")


def build_index(settings: Settings, force: bool = False) -> int:
    from bot.engine.builder import kb_hash
    from bot.engine.service import FaqService, bundled_calibration
    from bot.kb.loader import load_kb

    kb = load_kb(settings.kb_dir)
    service = FaqService.from_settings(settings)
    current = service.index_store.current_path()
    if current is not None and not force:
        manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
        # Once editors publish from the console, its database is the source of truth: a
        # rebuild from the bundled files here would silently undo their work.
        if manifest.get("source") == "console":
            print(f"index: {current.name} was published from the console by "
                  f"{manifest.get('published_by', '?')}; not rebuilding from {settings.kb_dir} "
                  "(use --force to replace it)")
            return 0
        if (
            manifest.get("kb_hash") == kb_hash(kb)
            and manifest.get("embedder") == service.embedder.name
        ):
            print(f"index: {current.name} is up to date ({len(kb)} entries)")
            return 0
    calibration = bundled_calibration(settings)
    started = time.perf_counter()
    path = service.build(kb, calibration=calibration, note="bundled calibration queries")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    th = manifest["thresholds"]
    print(
        f"index: {path.name} published: {manifest['n_entries']} entries, "
        f"{manifest['n_rows']} questions ({manifest['embedded_rows']} embedded), "
        f"{manifest['index_kind']} search, thresholds answer>={th['answer']:.4f} "
        f"margin>={th['margin']:.3f} clarify>={th['clarify']:.4f} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0


def build_asr_lm(settings: Settings, force: bool = False,
                 corpus: list[Path] | None = None) -> None:
    from bot.voice.lm_build import build_lm

    result = build_lm(settings, corpus=corpus, force=force)
    print(f"lm: {result.folder} {result.message}")
    for path, why in result.report.skipped if result.report else ():
        print(f"lm: skipped {path}: {why}")
    if result.too_small:
        print("lm: too little text to rescore speech recognition with; the bot keeps "
              "Whisper's own best until BOT_ASR_LM_CORPUS (or --corpus) names the hotline's "
              "ticket exports or other text")


def build_rasa(settings: Settings, force: bool = False) -> None:
    from bot.dialog.rasa_cli import train

    path = train(settings, force=force)
    print(f"rasa: {path} ready")
