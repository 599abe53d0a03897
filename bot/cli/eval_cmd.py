"""`bot eval faq` (metrics on a KB and labelled queries) and `bot eval calibrate` (set the
serving index's thresholds from labelled queries)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.errors import InputError
from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="评测 FAQ 引擎 / 校准决策阈值")
    sub = p.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")
    sub.required = True

    faq = sub.add_parser(
        "faq",
        help="在知识库与标注问题上评测（top1、recall@3、MRR、精确率/覆盖率、延迟）",
        description="Build a temporary index of KB with the same engine and print metrics.",
    )
    faq.add_argument("--kb", type=Path, required=True, help="KB CSV/XLSX or folder")
    faq.add_argument(
        "--queries", type=Path, required=True, help="CSV with query,expected_faq_id,kind"
    )
    faq.add_argument("--target-precision", type=float, default=None)
    faq.add_argument(
        "--answer-weight",
        type=float,
        default=None,
        help="blend of the answer's cosine into the score (default: settings)",
    )
    faq.add_argument(
        "--lexical-weight",
        type=float,
        default=None,
        help="blend of BM25 into the score (default: settings)",
    )
    faq.add_argument("--json", action="store_true", help="print one JSON object")
    faq.set_defaults(func=run_faq)

    cal = sub.add_parser(
        "calibrate",
        help="在标注问题上校准阈值并随索引保存（发布新版本）",
        description="Calibrate answer/clarify thresholds for the serving KB and publish them.",
    )
    cal.add_argument(
        "--queries",
        type=Path,
        default=None,
        help="labelled queries (default: knowledge_base/calibration/)",
    )
    cal.add_argument("--target-precision", type=float, default=None)
    cal.set_defaults(func=run_calibrate)


def _target(args: argparse.Namespace, settings: Settings) -> float:
    target = (
        args.target_precision if args.target_precision is not None else settings.target_precision
    )
    if not 0.5 <= target < 1.0:
        raise InputError(f"--target-precision {target} must be in [0.5, 1.0)")
    return target


def run_faq(args: argparse.Namespace, settings: Settings) -> int:
    from bot.embed.factory import make_embedder
    from bot.engine.evaluate import evaluate
    from bot.engine.queries import load_queries
    from bot.kb.loader import load_kb
    from bot.text.tokenize import HotlineTokenizer

    answer_w = settings.answer_weight if args.answer_weight is None else args.answer_weight
    lexical_w = settings.lexical_weight if args.lexical_weight is None else args.lexical_weight
    for flag, value in (("--answer-weight", answer_w), ("--lexical-weight", lexical_w)):
        if not 0.0 <= value < 1.0:
            raise InputError(f"{flag} {value} must be in [0, 1)")
    kb = load_kb(args.kb, min_similar=0)
    queries = load_queries(args.queries)
    result = evaluate(
        kb,
        queries,
        make_embedder(settings),
        tokenizer=HotlineTokenizer.from_settings(settings),
        target_precision=_target(args, settings),
        answer_weight=answer_w,
        lexical_weight=lexical_w,
        exact_max=settings.exact_search_max_vectors,
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


def run_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.engine.queries import load_queries
    from bot.engine.service import FaqService, bundled_calibration
    from bot.kb.loader import load_kb

    if args.queries:
        queries = [
            q for q in load_queries(args.queries) if q.kind in ("paraphrase", "out_of_scope")
        ]
    else:
        queries = bundled_calibration(settings)
    if not queries:
        raise InputError("no labelled queries to calibrate on: give --queries FILE.csv")
    settings = Settings.load(target_precision=_target(args, settings))
    service = FaqService.from_settings(settings)
    path = service.build(
        load_kb(settings.kb_dir),
        calibration=queries,
        note=f"calibrated on {args.queries or 'bundled queries'}",
    )
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    print(
        json.dumps(
            {"version": path.name, "thresholds": manifest["thresholds"]},
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0
