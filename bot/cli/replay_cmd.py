"""`bot replay FILE`: send each row of a CSV/XLSX through the running bot as a new session."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import httpx

from bot.errors import BotError, InputError
from bot.settings import Settings

DEFAULT_COLUMNS = ("question", "query", "留言主题", "问题", "text")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay", help="把 CSV/XLSX 中的每一行作为新会话发给正在运行的机器人，统计结果",
        description="Replay a file of citizen messages through the running stack.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--column", default=None,
                   help="the text column (default: question/query/留言主题)")
    p.add_argument("--detail-column", default=None,
                   help="a column with details used to answer the work-order form (e.g. 留言详情)")
    p.add_argument("--limit", type=int, default=None, help="replay only the first N rows")
    p.add_argument("--out", type=Path, default=None,
                   help="write one result row per input row (CSV)")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--url", default=None, help="gateway URL (default: from the settings)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def _column(table: object, wanted: str | None) -> int:
    from bot.kb.tables import Table

    assert isinstance(table, Table)
    for name in (wanted,) if wanted else DEFAULT_COLUMNS:
        index = table.index_of(name) if name else None
        if index is not None:
            return index
    raise InputError(
        f"{table.source}: no column {wanted or ' / '.join(DEFAULT_COLUMNS)}; "
        f"columns are {', '.join(table.header)}; choose one with --column"
    )


def load_texts(
    path: Path, column: str | None, detail: str | None, limit: int | None
) -> tuple[list[str], list[str]]:
    from bot.kb.tables import read_table

    table = read_table(path)
    text_i = _column(table, column)
    detail_i = _column(table, detail) if detail else None
    rows = table.rows[:limit] if limit else table.rows
    texts = [r.cell(text_i) for r in rows]
    details = [r.cell(detail_i) if detail_i is not None else "" for r in rows]
    return texts, details


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.replay import COLUMNS, replay, row_dicts, summarize

    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit {args.limit} must be at least 1")
    if args.out:
        _check_out(args.out)  # before the replay, which can take many minutes
    texts, details = load_texts(args.file, args.column, args.detail_column, args.limit)
    if not texts:
        raise InputError(f"{args.file} has no data rows to replay")
    url = args.url or f"http://{settings.gateway_host}:{settings.gateway_port}"
    try:
        httpx.get(f"{url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as err:
        raise BotError(f"no bot at {url} ({err}): start it with `bot serve`") from err
    from tqdm import tqdm

    with tqdm(total=len(texts), desc="replay", unit="条", file=sys.stderr) as bar:
        rows = asyncio.run(replay(url, texts, details, args.concurrency, bar.update))
    if args.out:
        from bot.kb.tables import write_table

        write_table(args.out, COLUMNS, [[str(d[c]) if d[c] is not None else "" for c in COLUMNS]
                                        for d in row_dicts(rows)])
    summary = summarize(rows)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print_summary(summary)
        if args.out:
            print(f"逐行结果：{args.out}")
    return 0


def _check_out(path: Path) -> None:
    if path.suffix.lower() not in (".csv", ".tsv", ".xlsx"):
        raise InputError(f"--out {path}: use a .csv, .tsv or .xlsx file name")
    if not path.parent.is_dir():
        raise InputError(f"--out {path}: folder {path.parent} does not exist; create it first")


def print_summary(summary: dict) -> None:
    print(f"回放 {summary['rows']} 条（错误 {summary['errors']}）")
    print("结局：" + "，".join(f"{k} {v}（{summary['outcome_shares'][k]:.0%}）"
                             for k, v in summary["outcomes"].items()))
    print("决策：" + "，".join(f"{k} {v}" for k, v in summary["decisions"].items()))
    if summary["transfer_reasons"]:
        reasons = summary["transfer_reasons"].items()
        print("转人工原因：" + "，".join(f"{k} {v}" for k, v in reasons))
    print(f"首轮延迟 p50 {summary['latency_ms_p50']} ms，p95 {summary['latency_ms_p95']} ms")
