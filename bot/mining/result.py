"""The result of a mining run: ranked clusters and the run's metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.mining.coverage import COVERED
from bot.mining.rows import MinedRow

# What a covered cluster tells the editor: the entry exists, the bot still did not answer.
GAP_FLAG = "gap_in_similar_questions_or_thresholds"
GAP_HINT = "已有相近 FAQ 却没答上：给该 FAQ 补充相似问法，或检查阈值"


@dataclass(frozen=True)
class MinedCluster:
    id: str  # stable across incremental runs (c000123)
    rank: int  # 1 = write this first
    size: int
    representative: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    members: tuple[MinedRow, ...]  # the medoid first, then nearest the centroid first
    coverage: str
    nearest_faq_id: str | None
    nearest_question: str | None
    nearest_score: float | None
    recent: int
    earlier: int
    growth: float | None
    rising: bool
    categories: dict[str, int]
    votes: int
    demand: float
    priority: float
    cohesion: float  # mean cosine of the members to the centroid

    @property
    def flag(self) -> str:
        return GAP_FLAG if self.coverage == COVERED else ""

    @property
    def times(self) -> tuple[str | None, str | None]:
        dated = sorted(m.time for m in self.members if m.time is not None)
        fmt = "%Y-%m-%d"
        return (dated[0].strftime(fmt), dated[-1].strftime(fmt)) if dated else (None, None)

    def to_json(self) -> dict[str, Any]:
        first, last = self.times
        return {
            "id": self.id,
            "rank": self.rank,
            "size": self.size,
            "representative": self.representative,
            "examples": list(self.examples),
            "keywords": list(self.keywords),
            "nearest_faq_id": self.nearest_faq_id,
            "nearest_question": self.nearest_question,
            "nearest_score": self.nearest_score,
            "coverage": self.coverage,
            "flag": self.flag,
            "hint": GAP_HINT if self.flag else "",
            "members": [m.ref() for m in self.members],
            "growth": self.growth,
            "rising": self.rising,
            "recent": self.recent,
            "earlier": self.earlier,
            "first_seen": first,
            "last_seen": last,
            "categories": dict(self.categories),
            "votes": self.votes,
            "demand": round(self.demand, 3),
            "priority": self.priority,
            "cohesion": round(self.cohesion, 4),
        }


@dataclass(frozen=True)
class MiningReport:
    clusters: tuple[MinedCluster, ...]  # ranked, size >= min_size
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**self.meta, "clusters": [c.to_json() for c in self.clusters]}
