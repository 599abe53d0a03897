"""Is a cluster's question already in the knowledge base? The nearest FAQ entry by the serving
index, judged with that index's own calibrated thresholds.

- covered: the bot would answer the representative directly (score >= the answer threshold):
  the entry exists, so a cluster of unanswered questions here points at missing similar
  questions or thresholds, not at a missing entry;
- partial: the bot would only offer choices (score >= the clarify threshold);
- new: nothing close enough; an entry needs writing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

COVERED = "covered"
PARTIAL = "partial"
NEW = "new"
UNKNOWN = "unknown"  # no FAQ index to compare with
COVERAGE_LABELS = {COVERED: "已覆盖", PARTIAL: "部分覆盖", NEW: "新问题", UNKNOWN: "未比对"}


@dataclass(frozen=True)
class CoverageThresholds:
    covered: float
    partial: float
    source: str  # where they came from, for the run metadata

    def status(self, score: float) -> str:
        if score >= self.covered:
            return COVERED
        if score >= self.partial:
            return PARTIAL
        return NEW


@dataclass(frozen=True)
class Coverage:
    status: str
    faq_id: str | None = None
    question: str | None = None  # the entry's standard question
    score: float | None = None


def thresholds_of(service: Any) -> CoverageThresholds:
    """The answer and clarify thresholds of the index version `service` serves."""
    matcher = service.matcher
    t = matcher.thresholds
    return CoverageThresholds(
        covered=float(t.answer),
        partial=float(t.clarify),
        source=f"index {matcher.version} ({t.calibrated_on or 'calibrated thresholds'})",
    )


def nearest(service: Any, text: str, thresholds: CoverageThresholds) -> Coverage:
    """The entry the serving index ranks first for `text`, and what its score means."""
    result = service.ask(text)
    top = result.top
    if top is None:
        return Coverage(NEW)
    return Coverage(thresholds.status(top.score), top.faq_id, top.question, float(top.score))
