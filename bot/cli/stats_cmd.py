"""`bot stats`: deflection statistics from the deflection log, as a table or one JSON object."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.errors import BotError, InputError
from bot.settings import Settings

log = logging.getLogger(__name__)

IDLE_MINUTES = 30  # --close-idle: an open session this long without a turn has ended
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?")
_OUTCOMES = (
    ("deflected", "机器人解决"),
    ("transferred", "转人工"),
    ("work_order", "工单"),
    ("abandoned", "放弃"),
)
REASON_LABELS = {
    "citizen_request": "市民要求",
    "low_confidence": "置信度低",
    "negative_feedback": "答案没帮助",
    "repeated_failure": "多次未答上",
    "complaint": "投诉",
    "rasa_down": "对话服务不可用",
    "unknown": "未注明",
}
_GROUP_TITLES = {"day": "日期", "hour": "小时", "category": "类别", "channel": "渠道"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="统计：分流率、转人工原因、热门与未答问题",
        description="按会话开始时间统计：分流率（已确认、未确认分开）、转人工原因、工单、"
        "命中最多的 FAQ、未能解答的问题、每小时转到人工的量。进行中的会话单独计数，"
        "不计入比率（用 --close-idle 先把空闲 30 分钟以上的会话结束）。",
    )
    parser.add_argument("--since", metavar="YYYY-MM-DD[THH:MM]", help="起始时间（含）")
    parser.add_argument(
        "--until", metavar="YYYY-MM-DD[THH:MM]", help="截止时间（不含；只给日期时含当天）"
    )
    parser.add_argument("--by", choices=("day", "hour", "category", "channel"), help="分组")
    parser.add_argument(
        "--channel",
        choices=("chat", "voice", "phone", "replay"),
        help="只统计这个渠道的会话（默认全部渠道，含回放测试）",
    )
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    parser.add_argument(
        "--db", metavar="URL", help="数据库 URL（默认 BOT_DATABASE_URL 或数据目录里的 SQLite）"
    )
    parser.add_argument(
        "--close-idle",
        action="store_true",
        help=f"统计前把 {IDLE_MINUTES} 分钟无对话的进行中会话结束（会写数据库）",
    )
    parser.add_argument("--top", type=int, default=10, metavar="N", help="热门/未答问题列出前 N 条")
    parser.set_defaults(func=run)


def parse_moment(value: str, option: str, *, end: bool = False) -> datetime:
    """YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]; a bare date as an end means the end of that day."""
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            day = datetime.fromisoformat(text)
            return day + timedelta(days=1) if end else day
        if _DATE_TIME.fullmatch(text):
            return datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError as err:
        raise InputError(f"{option} {value!r} is not a real date or time ({err})") from err
    raise InputError(f"{option} {value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM")


def _database_url(args: argparse.Namespace, settings: Settings) -> str:
    url = args.db or settings.resolved_database_url
    if not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
        raise InputError(
            f"--db {url!r} is not a database URL: use sqlite:///PATH or postgresql://..."
        )
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        if not path.is_file():
            raise InputError(
                f"no deflection log at {path}: run the bot first (it records every session), "
                "or pass --db with the right URL"
            )
    return url


def _categories(settings: Settings) -> dict[str, str]:
    """faq_id -> category from the knowledge base; empty (all 未知) when it cannot be read."""
    try:
        from bot.kb.loader import load_kb

        kb = load_kb(settings.kb_dir)
    except (ImportError, BotError, OSError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(
            f"注意：读不了知识库 {settings.kb_dir}（{first}），类别显示为“未知”。", file=sys.stderr
        )
        return {}
    return {entry.faq_id: entry.category for entry in kb}


def run(args: argparse.Namespace, settings: Settings) -> int:
    since = parse_moment(args.since, "--since") if args.since else None
    until = parse_moment(args.until, "--until", end=True) if args.until else None
    if since and until and since >= until:
        raise InputError(f"--since {args.since} is not before --until {args.until}")
    if args.top < 1:
        raise InputError(f"--top {args.top} must be at least 1")
    from bot.store.sql import SqlStore  # lazily: SQLAlchemy is not needed for `bot --help`
    from bot.store.stats import compute_stats

    categories = _categories(settings) if args.by == "category" else {}
    with SqlStore(_database_url(args, settings)) as store:
        if args.close_idle:
            closed = store.close_idle_sessions(datetime.now() - timedelta(minutes=IDLE_MINUTES))
            log.info("closed %d idle sessions", closed)
        stats = compute_stats(
            store, since, until, args.by, categories=categories, top=args.top,
            channel=getattr(args, "channel", None),
        )
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(render(stats)))
    return 0


# -- text output ----------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int, right: bool) -> str:
    pad = " " * max(0, width - _width(text))
    return pad + text if right else text + pad


def table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Aligned plain-text columns (CJK counted double width); numbers right-aligned."""
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    numeric = [all(_looks_numeric(r[i]) for r in rows) and bool(rows) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [_cell(c, w, right) for c, w, right in zip(row, widths, numeric, strict=True)]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-\d.,%]+|—", text))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _span(stats: Any) -> str:
    fmt = "%Y-%m-%d %H:%M"
    start = stats.since.strftime(fmt) if stats.since else "最早"
    end = stats.until.strftime(fmt) if stats.until else "现在"
    return f"{start} 至 {end}"


def render(stats: Any) -> list[str]:
    c = stats.counts
    lines = [f"12345 热线机器人统计（{_span(stats)}，按会话开始时间）", ""]
    lines.append(f"会话 {c.sessions} 个：已结束 {c.ended}，进行中 {c.open}（不计入比率）")
    rows = []
    for key, label in _OUTCOMES:
        n = getattr(c, key)
        rows.append([label, str(n), _pct(n / c.ended if c.ended else None)])
    rows.insert(1, ["  其中已确认", str(c.deflected_confirmed), _pct(c.confirmed_rate)])
    rows.insert(2, ["  其中未确认", str(c.deflected_unconfirmed), _pct(c.unconfirmed_rate)])
    lines += table(["结果", "会话", "占已结束"], rows)
    lines += [
        "",
        f"分流率 {_pct(c.deflection_rate)}（已确认 {_pct(c.confirmed_rate)}，"
        f"未确认 {_pct(c.unconfirmed_rate)}）",
    ]
    lines.append(f"市民反馈：有帮助 {stats.feedback_positive}，没帮助 {stats.feedback_negative}")
    lines.append("")
    if stats.transfers_by_reason:
        lines.append("转人工原因")
        lines += table(
            ["原因", "会话"],
            [[REASON_LABELS.get(k, k), str(n)] for k, n in stats.transfers_by_reason.items()],
        )
        lines.append("")
    by_cat = "，".join(f"{k or '未分类'} {n}" for k, n in stats.work_orders_by_category.items())
    lines += [f"工单 {stats.work_orders} 件" + (f"（{by_cat}）" if by_cat else ""), ""]
    if stats.top_faqs:
        lines.append(f"命中最多的 FAQ（前 {len(stats.top_faqs)}）")
        lines += table(
            ["FAQ", "会话", "确认有用", "没帮助"],
            [
                [f.faq_id, str(f.sessions), str(f.confirmed), str(f.negative)]
                for f in stats.top_faqs
            ],
        )
        lines.append("")
    if stats.top_unanswered:
        lines.append(f"未能解答的问题（前 {len(stats.top_unanswered)}）")
        lines += table(["次数", "问题"], [[str(q.count), q.text] for q in stats.top_unanswered])
        lines.append("")
    lines.append("转到人工的会话（按小时，0-23 点）")
    hours = stats.agent_hour_of_day
    for half in (range(0, 12), range(12, 24)):
        lines += table([f"{h:02d}" for h in half], [[str(hours[h]) for h in half]])
    if stats.agent_hourly:
        busiest = max(stats.agent_hourly, key=lambda kv: (kv[1], kv[0]))
        lines.append(f"  最忙的一小时：{busiest[0]}，{busiest[1]} 个")
    if stats.by:
        lines += ["", f"按{_GROUP_TITLES[stats.by]}"]
        lines += table(
            [
                _GROUP_TITLES[stats.by],
                "会话",
                "已结束",
                "解决",
                "分流率",
                "已确认",
                "转人工",
                "工单",
                "放弃",
                "进行中",
            ],
            [
                [
                    g.key,
                    str(g.counts.sessions),
                    str(g.counts.ended),
                    str(g.counts.deflected),
                    _pct(g.counts.deflection_rate),
                    str(g.counts.deflected_confirmed),
                    str(g.counts.transferred),
                    str(g.counts.work_order),
                    str(g.counts.abandoned),
                    str(g.counts.open),
                ]
                for g in stats.groups
            ],
        )
    return lines
