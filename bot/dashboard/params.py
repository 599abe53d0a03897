"""The dashboard's query parameters, checked once, with a Chinese message naming the field.

Dates are whole days in the hotline's local time: `since` and `until` are both included
(until=2026-03-07 counts sessions started up to 2026-03-07 23:59:59). Without them the range
is the last 7 days up to today. "All channels" means the citizens' channels (chat, voice,
phone): `bot replay` runs test traffic through the bot on channel `replay`, which would
otherwise inflate a manager's numbers; `channel=replay` or `channel=all` shows it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.dashboard import erlang
from bot.store.base import Channel

DEFAULT_DAYS = 7
MAX_DAYS = 731  # two years of days: enough to compare a year with the last
MAX_TOP = 100
CITIZEN_CHANNELS: tuple[str, ...] = (Channel.CHAT.value, Channel.VOICE.value, Channel.PHONE.value)
EVERY_CHANNEL = "all"
CHANNEL_LABELS = {"chat": "网页聊天", "voice": "语音", "phone": "电话", "replay": "回放测试"}
GROUPS = ("day", "hour", "channel", "category")
FORMATS = ("csv", "xlsx")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ParamError(ValueError):
    """A bad query parameter; `message` is Chinese and names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Range:
    since: date
    until: date  # included
    channel: str  # "" (citizens' channels), "all", or one channel's value

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, datetime.min.time())

    @property
    def end(self) -> datetime:
        """Exclusive: the midnight after `until`."""
        return datetime.combine(self.until + timedelta(days=1), datetime.min.time())

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def channels(self) -> tuple[str, ...] | None:
        """For the store's filter: None is every channel."""
        if self.channel == EVERY_CHANNEL:
            return None
        return (self.channel,) if self.channel else CITIZEN_CHANNELS

    def to_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "channel": self.channel or None,
            "days": self.days,
        }


@dataclass(frozen=True)
class StaffingParams:
    aht_s: float = 300.0
    service_level: float = 0.8
    answer_within_s: float = 20.0


def _text(query: Mapping[str, str], name: str) -> str:
    return (query.get(name) or "").strip()


def _date(raw: str, field: str) -> date:
    if not _DATE.fullmatch(raw):
        raise ParamError(field, f"{field} 应为 YYYY-MM-DD 格式的日期，收到“{raw[:40]}”")
    try:
        return date.fromisoformat(raw)
    except ValueError as err:
        raise ParamError(field, f"{field}“{raw}”不是有效日期") from err


def parse_range(query: Mapping[str, str], today: date) -> Range:
    since_raw, until_raw = _text(query, "since"), _text(query, "until")
    until = _date(until_raw, "until") if until_raw else None
    since = _date(since_raw, "since") if since_raw else None
    if until is None:
        until = today if since is None or since <= today else since
    if since is None:
        since = until - timedelta(days=DEFAULT_DAYS - 1)
    if until < since:
        raise ParamError(
            "until",
            f"until（{until.isoformat()}）早于 since（{since.isoformat()}），请调换或重选日期",
        )
    if (until - since).days + 1 > MAX_DAYS:
        raise ParamError("since", f"日期范围最多 {MAX_DAYS} 天，请缩小 since 到 until 的范围")
    return Range(since, until, parse_channel(_text(query, "channel")))


def parse_channel(raw: str) -> str:
    if raw in ("", EVERY_CHANNEL) or raw in CHANNEL_LABELS:
        return raw
    allowed = "、".join([EVERY_CHANNEL, *CHANNEL_LABELS])
    raise ParamError(
        "channel", f"channel“{raw[:40]}”不是已知渠道，可选：{allowed}（留空为全部市民渠道）"
    )


def parse_choice(
    query: Mapping[str, str], name: str, choices: tuple[str, ...], default: str
) -> str:
    raw = _text(query, name) or default
    if raw not in choices:
        raise ParamError(name, f"{name}“{raw[:40]}”无效，可选：{'、'.join(choices)}")
    return raw


def parse_top(query: Mapping[str, str], default: int = 10) -> int:
    raw = _text(query, "top")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise ParamError("top", f"top 应为 1 到 {MAX_TOP} 的整数，收到“{raw[:40]}”")
    return int(raw)


def _number(query: Mapping[str, str], name: str, default: float) -> float:
    raw = _text(query, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ParamError(name, f"{name} 应为数字，收到“{raw[:40]}”")
    return value


def parse_staffing(query: Mapping[str, str]) -> StaffingParams:
    defaults = StaffingParams()
    aht = _number(query, "aht_s", defaults.aht_s)
    if not 1 <= aht <= erlang.MAX_AHT_S:
        raise ParamError(
            "aht_s", f"aht_s（平均处理时长）应在 1 到 {erlang.MAX_AHT_S} 秒之间，收到 {aht:g}"
        )
    level = _number(query, "service_level", defaults.service_level)
    if not 0 < level < 1:
        raise ParamError(
            "service_level",
            f"service_level（服务水平目标）应大于 0 且小于 1，例如 0.8 表示 80%，收到 {level:g}"
            "（100% 任何有限坐席数都达不到）",
        )
    within = _number(query, "answer_within_s", defaults.answer_within_s)
    if not 0 <= within <= 3600:
        raise ParamError(
            "answer_within_s",
            f"answer_within_s（接通时限）应在 0 到 3600 秒之间，收到 {within:g}",
        )
    return StaffingParams(aht, level, within)
