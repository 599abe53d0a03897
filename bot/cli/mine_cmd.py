"""`bot mine`: frequent questions from ticket files and the deflection log, ranked for editors."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from bot.errors import InputError
from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_TOP = 20
_SHOWN_CHARS = 40


def register(subparsers: Any) -> None:
    from bot.mining.defaults import (
        DEFAULT_METHOD,
        DEFAULT_MIN_SIZE,
        DEFAULT_THRESHOLD,
        METHODS,
        RECENT_DAYS,
    )

    parser = subparsers.add_parser(
        "mine",
        help="挖掘高频问题：从工单文件和未答问题里找出该写的 FAQ",
        description="把历史工单（CSV/XLSX）和/或对话记录里没答上的问题聚类，按一条答案能"
        "分流的来电量排序，给出代表问题、其他问法、关键词、最近的现有 FAQ（已覆盖/部分覆盖/"
        "新问题）和增长趋势。聚类结果保存在数据目录 mining/ 下，以后的运行只把新记录归入"
        "已有的类（--rebuild 全部重算）。",
    )
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help="工单文件（.csv/.xlsx）")
    parser.add_argument("--column", help="问题文本所在的列（默认自动找：问题、留言主题、text…）")
    parser.add_argument("--time-column", help="时间列（默认自动找：时间、留言时间、time…）")
    parser.add_argument("--category-column", help="类别列（默认自动找：一级分类、类别…）")
    parser.add_argument("--votes-column", help="点赞数列（默认自动找：点赞数、votes）")
    parser.add_argument("--encoding", help="CSV 的编码（默认自动识别 UTF-8/GBK）")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="只看这天及以后的记录")
    parser.add_argument("--min-size", type=int, default=DEFAULT_MIN_SIZE, metavar="N",
                        help=f"一个类至少几条才报告（默认 {DEFAULT_MIN_SIZE}）")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="把报告写到 .xlsx、.csv 或 .json 文件")
    parser.add_argument("--log", action="store_true",
                        help="加入对话记录里没答上的问题（转人工、放弃、答案没帮助）")
    parser.add_argument("--log-unconfirmed", action="store_true",
                        help="与 --log 一起用：也加入回答了但市民没有确认有用的问题")
    parser.add_argument("--db", metavar="URL", help="对话记录数据库 URL（默认同 bot stats）")
    parser.add_argument("--rebuild", action="store_true",
                        help="丢掉保存的聚类，只用这次给的数据全部重算")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="COS",
                        help=f"同一类的最低相似度（默认 {DEFAULT_THRESHOLD}，在热线问法上选定；"
                        "调高（如 0.95）类更细、更纯，调低类更大）")
    parser.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD,
                        help=f"聚类方法（默认 {DEFAULT_METHOD}）")
    parser.add_argument("--recent-days", type=int, default=RECENT_DAYS, metavar="N",
                        help=f"“近期”指数据里最后 N 天（默认 {RECENT_DAYS}），用来判断上升")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, metavar="N",
                        help=f"屏幕上列出前 N 个类（默认 {DEFAULT_TOP}；报告文件里是全部）")
    # One thread: on a machine shared with other work, two threads per process fight over
    # the cores and run slower (README); a dedicated machine gains from --threads 2.
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="向量模型用几个 CPU 线程（默认 1；机器空闲时可用 2）")
    parser.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> None:
    if not args.sources and not args.log:
        raise InputError("没有要分析的数据：给出工单文件，或加 --log 分析对话记录里没答上的问题")
    if args.log_unconfirmed and not args.log:
        raise InputError("--log-unconfirmed 要和 --log 一起用")
    if not 0.0 < args.threshold < 1.0:
        raise InputError(f"--threshold {args.threshold} 应在 0 和 1 之间（余弦相似度）")
    for option, value, low in (("--min-size", args.min_size, 2), ("--top", args.top, 1),
                               ("--recent-days", args.recent_days, 1),
                               ("--threads", args.threads, 1)):
        if value < low:
            raise InputError(f"{option} {value} 至少为 {low}")


def _read_rows(args: argparse.Namespace, settings: Settings) -> tuple[list[Any], list[Any]]:
    from bot.cli.stats_cmd import parse_moment
    from bot.mining.sources import read_file_rows, read_log_rows

    since = parse_moment(args.since, "--since") if args.since else None
    rows: list[Any] = []
    summaries: list[Any] = []
    # With several files a named optional column may be in some of them only, but not in none.
    strict = len(args.sources) == 1
    for source in args.sources:
        got, summary = read_file_rows(
            Path(source), column=args.column, time_column=args.time_column,
            category_column=args.category_column, votes_column=args.votes_column,
            since=since, encoding=args.encoding, strict=strict,
        )
        rows += got
        summaries.append(summary)
    for option, name, field in (("--time-column", args.time_column, "time_column"),
                                ("--category-column", args.category_column, "category_column"),
                                ("--votes-column", args.votes_column, "votes_column")):
        if name and summaries and not any(getattr(s, field) for s in summaries):
            raise InputError(f"{option} {name!r}：给出的文件里都没有这一列；"
                             "去掉这个选项，或检查列名（见各文件的表头）")
    if args.log:
        from bot.store.sql import SqlStore

        with SqlStore(_database_url(args, settings)) as store:
            got, summary = read_log_rows(store, since, include_unconfirmed=args.log_unconfirmed)
        rows += got
        summaries.append(summary)
    return rows, summaries


def _database_url(args: argparse.Namespace, settings: Settings) -> str:
    url = str(args.db or settings.resolved_database_url)
    if not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
        raise InputError(f"--db {url!r} 不是数据库 URL：用 sqlite:///路径 或 postgresql://...")
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        raise InputError(
            f"没有对话记录 {url[len('sqlite:///'):]}：机器人运行后才会有；或用 --db 指定数据库"
        )
    return url


def _embedder(settings: Settings, threads: int) -> Any:
    from bot.embed.factory import make_embedder
    from bot.mining.vectorcache import CachedEmbedder

    if settings.embedder == "e5":
        from bot.embed.e5 import E5Embedder

        inner: Any = E5Embedder(settings.e5_model_dir, threads=threads)
    else:
        inner = make_embedder(settings)
    return CachedEmbedder(inner, settings.build_dir / "cache" / "mining")


def run(args: argparse.Namespace, settings: Settings) -> int:
    _check_args(args)
    from bot.mining.report import check_out_path, write_report

    if args.out:
        check_out_path(args.out)
    rows, summaries = _read_rows(args, settings)
    for s in summaries:
        _summary_line(s)

    from bot.engine.service import FaqService
    from bot.index.versions import IndexStore
    from bot.mining.pipeline import MineOptions, mine
    from bot.text.tokenize import HotlineTokenizer

    embedder = _embedder(settings, args.threads)
    if (settings.kb_dir / "dict").is_dir():
        tokenizer = HotlineTokenizer.from_settings(settings)
    else:  # keywords then come from jieba's own dictionary only
        log.warning("no hotline dictionary in %s/dict; keywords use jieba's own words",
                    settings.kb_dir)
        tokenizer = HotlineTokenizer(None, settings.build_dir / "cache" / "jieba.cache")
    service = FaqService(IndexStore(settings.index_dir), embedder, tokenizer, settings)
    options = MineOptions(min_size=args.min_size, threshold=args.threshold, method=args.method,
                          recent_days=args.recent_days, rebuild=args.rebuild)
    report = mine(rows, embedder, service=service, tokens=tokenizer.tokens,
                  model_dir=settings.data_dir / "mining", summaries=summaries, options=options)
    print("\n".join(render(report, args.top)))
    if args.out:
        write_report(report, args.out)
        print(f"报告已写入 {args.out}（{len(report.clusters)} 个类）")
    return 0


def _summary_line(summary: Any) -> None:
    skipped = []
    if summary.skipped_empty:
        skipped.append(f"文本为空 {summary.skipped_empty} 条")
    if summary.skipped_before_since:
        skipped.append(f"早于 --since {summary.skipped_before_since} 条")
    note = f"，跳过{'、'.join(skipped)}" if skipped else ""
    extra = f"；{summary.undated} 条时间读不出" if summary.undated else ""
    name = Path(summary.source).name
    print(f"{name}：{summary.rows} 条（列 {summary.text_column}{note}{extra}）", file=sys.stderr)


def render(report: Any, top: int) -> list[str]:
    from bot.cli.stats_cmd import table
    from bot.mining.coverage import COVERAGE_LABELS

    meta = report.meta
    model = meta["model"]
    how = "全部重算" if model.get("rebuilt") else (
        f"新增 {model['new_rows']} 条：{model['joined']} 条归入已有的类，"
        f"{model['new_clusters']} 个新类"
    )
    counts = "，".join(f"{COVERAGE_LABELS.get(k, k)} {n}" for k, n in
                      meta["coverage_counts"].items())
    lines = [
        f"共 {meta['rows']} 条问题（{how}），{meta['clusters_total']} 个类；"
        f"至少 {meta['min_size']} 条的 {meta['clusters_reported']} 个"
        f"（含 {meta['rows_in_reported']} 条）" + (f"：{counts}" if counts else ""),
    ]
    if not report.clusters:
        lines.append(f"没有达到 {meta['min_size']} 条的类；可以把 --min-size 调小，"
                     "或调低 --threshold 让相近的问题归为一类")
        return lines
    rows = []
    for c in report.clusters[:top]:
        text = c.representative
        shown = text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"
        rows.append([str(c.rank), str(c.size), str(c.votes),
                     COVERAGE_LABELS.get(c.coverage, c.coverage),
                     "↑" if c.rising else "", shown, "、".join(c.keywords[:3])])
    lines += table(["排名", "条数", "点赞", "覆盖", "上升", "代表问题", "关键词"], rows)
    return lines
