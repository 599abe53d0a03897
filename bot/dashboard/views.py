"""The dashboard's views, each as a JSON body and a table (what the exports write).

Every number comes from bot.store.stats, the same queries as `bot stats`: sessions by when
they started, rates over ended sessions (open ones apart), work orders by when they were
created, transfers reaching agents by the hour they were handed over.
Feedback is what the "did this help?" step records, per answer (bot.store.feedback): each
"helped" and each "not helped" counts once, whatever the session did afterwards (a citizen
who said "有帮助" and then asked for a human still said it helped). The session's outcome is
its last one: "helped" ends it as a confirmed deflection unless something follows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.dashboard import erlang
from bot.dashboard.params import CHANNEL_LABELS, Range, StaffingParams
from bot.store.base import TransferReason
from bot.store.stats import (
    OutcomeCounts,
    Stats,
    compute_agent_hourly,
    compute_groups,
    compute_stats,
)

log = logging.getLogger(__name__)

EntryLookup = Callable[[str], Any]  # faq_id -> an entry with .question and .category, or None
REASON_LABELS = {
    "citizen_request": "市民要求转人工",
    "low_confidence": "置信度低",
    "negative_feedback": "答案没帮助",
    "repeated_failure": "多次未答上",
    "complaint": "投诉",
    "unknown": "未注明",
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text | int | float | rate (a share 0-1, shown as a percentage)


@dataclass(frozen=True)
class View:
    name: str
    title: str  # the sheet's name
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    body: dict[str, Any]  # the JSON answer
    notes: tuple[str, ...] = ()  # what the numbers mean, for the export's notes sheet


class _Categories(Mapping[str, str]):
    """faq_id -> category, looked up in the serving knowledge base when asked."""

    def __init__(self, lookup: EntryLookup | None) -> None:
        self.lookup = lookup

    def __getitem__(self, faq_id: str) -> str:
        entry = _entry(self.lookup, faq_id)
        if entry is None:
            raise KeyError(faq_id)
        return str(entry.category)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _entry(lookup: EntryLookup | None, faq_id: str) -> Any:
    if lookup is None:
        return None
    try:
        return lookup(faq_id)
    except Exception as err:  # noqa: BLE001 - an index not loaded must not break the dashboard
        log.warning("dashboard: cannot look up %s in the knowledge base: %s", faq_id, err)
        return None


class StatsCache:
    """compute_stats per (range, top) for a few seconds: the page asks the summary, top FAQs
    and unanswered views of one range together, and each would otherwise rescan the log."""

    def __init__(self, store: Any, ttl_s: float = 5.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._items: dict[tuple[Any, ...], tuple[float, Stats]] = {}

    def get(self, rng: Range, top: int) -> Stats:
        key = (rng, top)
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and now - hit[0] < self.ttl_s:
                return hit[1]
        stats = compute_stats(self.store, rng.start, rng.end, top=top, channel=rng.channels)
        with self._lock:
            if len(self._items) > 32:
                self._items.clear()
            self._items[key] = (now, stats)
        return stats


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _counts(c: OutcomeCounts) -> dict[str, Any]:
    return {
        "sessions": c.sessions,
        "ended": c.ended,
        "open": c.open,
        "deflected": c.deflected,
        "deflected_confirmed": c.deflected_confirmed,
        "deflected_unconfirmed": c.deflected_unconfirmed,
        "deflection_rate": _rate(c.deflection_rate),
        "confirmed_rate": _rate(c.confirmed_rate),
        "unconfirmed_rate": _rate(c.unconfirmed_rate),
        "transferred": c.transferred,
        "work_order": c.work_order,
        "abandoned": c.abandoned,
    }


def summary(stats: Stats, rng: Range) -> View:
    c = stats.counts
    reasons = dict.fromkeys((r.value for r in TransferReason), 0)
    reasons.update(stats.transfers_by_reason)
    by_reason = [
        {"reason": k, "label": REASON_LABELS.get(k, k), "count": n}
        for k, n in sorted(reasons.items(), key=lambda kv: -kv[1])
    ]
    helped, not_helped = stats.feedback_positive, stats.feedback_negative
    body = {
        **rng.to_dict(),
        **_counts(c),
        "deflection_rate": {
            "total": _rate(c.deflection_rate),
            "confirmed": _rate(c.confirmed_rate),
            "unconfirmed": _rate(c.unconfirmed_rate),
        },
        "transfers_by_reason": by_reason,
        "work_orders": stats.work_orders,
        "work_orders_by_category": [
            {"category": k or "未分类", "count": n}
            for k, n in stats.work_orders_by_category.items()
        ],
        "feedback": {
            "helped": helped,
            "not_helped": not_helped,
            "helped_rate": _rate(helped / (helped + not_helped) if helped + not_helped else None),
        },
    }
    rows: list[tuple[str, str, Any, str]] = [
        ("sessions", "会话", c.sessions, "int"),
        ("ended", "已结束", c.ended, "int"),
        ("open", "进行中（不计入比率）", c.open, "int"),
        ("deflected", "机器人解决", c.deflected, "int"),
        ("deflected_confirmed", "其中市民确认有帮助", c.deflected_confirmed, "int"),
        ("deflected_unconfirmed", "其中未确认", c.deflected_unconfirmed, "int"),
        ("deflection_rate", "分流率", _rate(c.deflection_rate), "rate"),
        ("confirmed_rate", "已确认分流率", _rate(c.confirmed_rate), "rate"),
        ("unconfirmed_rate", "未确认分流率", _rate(c.unconfirmed_rate), "rate"),
        ("transferred", "转人工", c.transferred, "int"),
        *[
            (f"reason_{r['reason']}", f"转人工：{r['label']}", r["count"], "int")
            for r in by_reason
        ],
        ("work_orders", "工单", stats.work_orders, "int"),
        ("abandoned", "放弃", c.abandoned, "int"),
        ("feedback_helped", "反馈：有帮助", helped, "int"),
        ("feedback_not_helped", "反馈：没帮助", not_helped, "int"),
    ]
    table = tuple(
        {"key": key, "metric": label, "value": value, "_kind": kind}
        for key, label, value, kind in rows
    )
    columns = (Column("metric", "指标", "text"), Column("value", "数值", "float"))
    return View("summary", "概览", columns, table, body, _notes(rng))


SERIES_COLUMNS = (
    Column("label", "分组", "text"),
    Column("sessions", "会话"),
    Column("ended", "已结束"),
    Column("open", "进行中"),
    Column("deflected", "机器人解决"),
    Column("deflected_confirmed", "已确认"),
    Column("deflected_unconfirmed", "未确认"),
    Column("deflection_rate", "分流率", "rate"),
    Column("confirmed_rate", "已确认分流率", "rate"),
    Column("unconfirmed_rate", "未确认分流率", "rate"),
    Column("transferred", "转人工"),
    Column("work_order", "工单"),
    Column("abandoned", "放弃"),
)
_BY_TITLES = {"day": "按日期", "hour": "按小时", "channel": "按渠道", "category": "按类别"}


def series(store: Any, rng: Range, by: str, lookup: EntryLookup | None) -> View:
    groups = compute_groups(
        store, rng.start, rng.end, by, categories=_Categories(lookup), channel=rng.channels
    )
    found = {g.key: g.counts for g in groups}
    if by == "day":
        keys = [(rng.since + timedelta(days=i)).isoformat() for i in range(rng.days)]
        labels = dict(zip(keys, keys, strict=True))
    elif by == "hour":
        keys = [f"{h:02d}" for h in range(24)]
        labels = {k: f"{k}时" for k in keys}
    elif by == "channel":
        keys = list(rng.channels or CHANNEL_LABELS)
        keys += [k for k in found if k not in keys]
        labels = {k: CHANNEL_LABELS.get(k, k) for k in keys}
    else:  # category: only those with sessions, busiest first (compute_groups' order)
        keys = [g.key for g in groups]
        labels = {k: k for k in keys}
    rows = tuple(
        {"key": k, "label": labels[k], **_counts(found.get(k, OutcomeCounts()))} for k in keys
    )
    body = {**rng.to_dict(), "by": by, "rows": list(rows)}
    return View(f"series-{by}", _BY_TITLES[by], SERIES_COLUMNS, rows, body, _notes(rng))


def top_faqs(stats: Stats, rng: Range, lookup: EntryLookup | None) -> View:
    rows = []
    for rank, hit in enumerate(stats.top_faqs, 1):
        entry = _entry(lookup, hit.faq_id)
        rows.append(
            {
                "rank": rank,
                "faq_id": hit.faq_id,
                "question": str(entry.question) if entry is not None else "（知识库中已无此条）",
                "category": str(entry.category) if entry is not None else "未知",
                "sessions": hit.sessions,
                "confirmed": hit.confirmed,
                "negative": hit.negative,
            }
        )
    columns = (
        Column("rank", "排名"),
        Column("faq_id", "FAQ 编号", "text"),
        Column("question", "标准问题", "text"),
        Column("category", "类别", "text"),
        Column("sessions", "会话"),
        Column("confirmed", "确认有帮助"),
        Column("negative", "没帮助"),
    )
    body = {**rng.to_dict(), "items": rows}
    return View("top-faqs", "热门FAQ", columns, tuple(rows), body, _notes(rng))


def unanswered(stats: Stats, rng: Range) -> View:
    rows = [
        {"rank": rank, "text": q.text, "count": q.count}
        for rank, q in enumerate(stats.top_unanswered, 1)
    ]
    columns = (Column("rank", "排名"), Column("text", "问题", "text"), Column("count", "次数"))
    body = {**rng.to_dict(), "items": rows}
    notes = (
        *_notes(rng),
        "未解答：放弃的会话，以及因置信度低、多次未答上、答案没帮助而转人工的会话里市民的第一个问题"
        "（市民确认有帮助的问题除外；归一化后相同的合并）。",
    )
    return View("unanswered", "未解答问题", columns, tuple(rows), body, notes)


def staffing(store: Any, rng: Range, params: StaffingParams) -> View:
    hourly = compute_agent_hourly(store, rng.start, rng.end, channel=rng.channels)
    per_hour: dict[int, list[int]] = defaultdict(list)
    for label, n in hourly:  # "YYYY-MM-DD HH:00"
        per_hour[int(label[11:13])].append(n)
    rows: list[dict[str, Any]] = []
    for hour in range(24):
        counts = per_hour.get(hour, [])
        total = sum(counts)
        average = total / rng.days
        peak = max(counts, default=0)
        need = _agents(average, params)
        need_peak = _agents(peak, params)
        rows.append(
            {
                "hour": hour,
                "label": f"{hour:02d}:00-{hour:02d}:59",
                "transferred": total,
                "calls_per_hour": round(average, 2),
                "peak_calls": peak,
                "traffic_erlangs": round(need.traffic_erlangs, 3) if need else None,
                "agents_needed": need.agents if need else None,
                "service_level_achieved": round(need.service_level, 4) if need else None,
                "occupancy": round(need.occupancy, 4) if need else None,
                "agents_needed_peak": need_peak.agents if need_peak else None,
            }
        )
    columns = (
        Column("label", "时段", "text"),
        Column("transferred", "转人工合计"),
        Column("calls_per_hour", "平均每小时来电", "float"),
        Column("peak_calls", "最忙一天的来电"),
        Column("traffic_erlangs", "话务量（爱尔兰）", "float"),
        Column("agents_needed", "所需坐席"),
        Column("service_level_achieved", "达到的服务水平", "rate"),
        Column("occupancy", "坐席占用率", "rate"),
        Column("agents_needed_peak", "最忙一天所需坐席"),
    )
    body = {
        **rng.to_dict(),
        "aht_s": params.aht_s,
        "service_level": params.service_level,
        "answer_within_s": params.answer_within_s,
        "total_transferred": sum(r["transferred"] for r in rows),
        "max_agents_needed": max((r["agents_needed"] or 0) for r in rows),
        "rows": rows,
    }
    notes = (
        *_notes(rng),
        f"来电 = 转到人工的会话（按转接时间的小时），平均为 {rng.days} 天的平均值。",
        f"所需坐席按 Erlang C 计算：平均处理时长 {params.aht_s:g} 秒，目标 "
        f"{params.service_level * 100:g}% 在 {params.answer_within_s:g} 秒内接通；"
        "未计排班损耗（休息、培训等）。",
    )
    return View("staffing", "人工坐席需求", columns, tuple(rows), body, notes)


def _agents(calls: float, params: StaffingParams) -> erlang.Staffing | None:
    try:
        return erlang.agents_needed(
            calls, params.aht_s, params.service_level, params.answer_within_s
        )
    except erlang.StaffingLimitError as err:
        log.warning("dashboard staffing: %s", err)
        return None


def _notes(rng: Range) -> tuple[str, ...]:
    channel = {"": "全部市民渠道（不含回放测试）", "all": "全部渠道（含回放测试）"}.get(
        rng.channel, CHANNEL_LABELS.get(rng.channel, rng.channel)
    )
    return (
        f"日期：{rng.since.isoformat()} 至 {rng.until.isoformat()}（含两端，按会话开始时间）",
        f"渠道：{channel}",
        "分流率 = 机器人解决的会话 / 已结束的会话；进行中的会话不计入。",
    )


VIEWS = ("summary", "series", "top-faqs", "unanswered", "staffing")
