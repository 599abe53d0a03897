"""Is a cluster a rising hot topic? Its share of the recent window against its share before.

The window ends at the latest time in the data, not now: a historical ticket export is
judged within itself. Shares, not counts, so a busier month does not make every topic rise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.mining.defaults import RECENT_DAYS

# Rising: at least this many recent rows, and the recent share at least this many times
# the earlier share (add-half smoothing, so a topic with no earlier rows still has a ratio).
MIN_RECENT = 3
RISING_GROWTH = 2.0


@dataclass(frozen=True)
class Window:
    cutoff: datetime | None  # rows at or after it are recent; None when nothing is dated
    recent_total: int
    earlier_total: int

    @classmethod
    def of(cls, times: Sequence[datetime | None], days: int = RECENT_DAYS) -> Window:
        dated = [t for t in times if t is not None]
        if not dated:
            return cls(None, 0, 0)
        cutoff = max(dated) - timedelta(days=days)
        recent = sum(1 for t in dated if t >= cutoff)
        return cls(cutoff, recent, len(dated) - recent)


@dataclass(frozen=True)
class Trend:
    recent: int
    earlier: int
    growth: float | None  # recent share / earlier share; None without both periods
    rising: bool


def trend(times: Sequence[datetime | None], window: Window) -> Trend:
    if window.cutoff is None:
        return Trend(0, 0, None, False)
    cutoff = window.cutoff
    recent = sum(1 for t in times if t is not None and t >= cutoff)
    earlier = sum(1 for t in times if t is not None and t < cutoff)
    if window.recent_total == 0 or window.earlier_total == 0:
        return Trend(recent, earlier, None, False)
    recent_share = (recent + 0.5) / (window.recent_total + 1)
    earlier_share = (earlier + 0.5) / (window.earlier_total + 1)
    growth = recent_share / earlier_share
    rising = recent >= MIN_RECENT and growth >= RISING_GROWTH
    return Trend(recent, earlier, round(growth, 3), rising)
