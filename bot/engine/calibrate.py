"""Decision thresholds from labelled queries, set for a target precision of direct answers.

A wrong answer to a citizen costs more than a transfer, so the answer threshold is the
lowest one (largest coverage) whose precision on the labelled queries still reaches the
target; out-of-scope queries answered count as wrong answers. The clarify threshold is then
chosen where offering choices helps more often than it misleads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from bot.engine.types import Decision, Thresholds

log = logging.getLogger(__name__)

MARGINS = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06)
# At most this share of the out-of-scope calibration queries may be answered directly, on
# top of the precision target: precision alone lets a few confident out-of-scope answers
# through when paraphrases dominate the calibration set.
MAX_OOS_ANSWERED = 0.10
# Fewer direct answers than this on the calibration set cannot show a precision target.
MIN_ANSWERED = 10


@dataclass(frozen=True)
class ScoredQuery:
    """What calibration needs to know of one labelled query after ranking."""

    expected_faq_id: str | None  # None: the query should not be answered (out of scope)
    ranked_ids: tuple[str, ...]  # candidate entries, best first (at least the top 3)
    top_score: float
    second_score: float  # score of the best *other* entry; 0 when there is none

    @property
    def margin(self) -> float:
        return self.top_score - self.second_score

    @property
    def top_correct(self) -> bool:
        return bool(self.ranked_ids) and self.ranked_ids[0] == self.expected_faq_id

    @property
    def in_top3(self) -> bool:
        return self.expected_faq_id is not None and self.expected_faq_id in self.ranked_ids[:3]


def decide(top: float, second: float, thresholds: Thresholds) -> Decision:
    if top >= thresholds.answer and top - second >= thresholds.margin:
        return Decision.ANSWER
    if top >= thresholds.clarify:
        return Decision.CLARIFY
    return Decision.HANDOVER


def calibrate(
    scored: list[ScoredQuery],
    target_precision: float,
    source: str = "",
    max_oos_answered: float = MAX_OOS_ANSWERED,
) -> Thresholds:
    if not scored:
        raise ValueError("calibration needs labelled queries; none were given")
    top = np.array([q.top_score for q in scored])
    margin = np.array([q.margin for q in scored])
    correct = np.array([q.top_correct for q in scored])
    positive = np.array([q.expected_faq_id is not None for q in scored])
    n_pos = max(1, int(positive.sum()))
    n_neg = int((~positive).sum())

    best: tuple[float, float, float, float] | None = None  # (coverage, precision, t, m)
    fallback: tuple[float, float, float, float] | None = None  # best precision if none reach
    candidates = np.unique(np.round(top, 4))
    for m in MARGINS:
        for t in candidates:
            answered = (top >= t) & (margin >= m)
            n_answered = int(answered.sum())
            if n_answered < MIN_ANSWERED:
                continue
            precision = float((answered & correct).sum()) / n_answered
            coverage = float((answered & positive & correct).sum()) / n_pos
            oos_rate = float((answered & ~positive).sum()) / n_neg if n_neg else 0.0
            row = (coverage, precision, float(t), m)
            if precision >= target_precision and oos_rate <= max_oos_answered:
                # Equal coverage: the more precise, then the stricter thresholds win.
                if best is None or (coverage, precision, t, m) > best:
                    best = row
            if fallback is None or (precision, coverage) > (fallback[1], fallback[0]):
                fallback = row
    chosen = best or fallback
    if chosen is None:  # too few queries to test any threshold: answer nothing directly
        log.warning("too few calibration queries (%d); direct answers disabled", len(scored))
        answer_t, margin_t = 1.01, 0.0
    else:
        if best is None:
            log.warning(
                "no threshold reaches precision %.2f; using the most precise (%.3f)",
                target_precision,
                chosen[1],
            )
        answer_t, margin_t = chosen[2], chosen[3]
    clarify_t = _clarify_threshold(scored, answer_t, margin_t)
    return Thresholds(
        answer=answer_t,
        margin=margin_t,
        clarify=clarify_t,
        target_precision=target_precision,
        calibrated_on=source,
    )


def _clarify_threshold(scored: list[ScoredQuery], answer_t: float, margin_t: float) -> float:
    """Lowest score at which offering the top 3 helps at least as often as it misleads:
    a clarification helps when the right entry is among the choices, and misleads when the
    query has no right entry or it is not among them (the citizen then asks for a human)."""
    rest = [q for q in scored if not (q.top_score >= answer_t and q.margin >= margin_t)]
    if not rest:
        return answer_t
    best_t, best_gain = answer_t, 0
    for t in sorted({round(q.top_score, 4) for q in rest}, reverse=True):
        offered = [q for q in rest if q.top_score >= t]
        gain = sum(1 if q.in_top3 else -1 for q in offered)
        if gain > best_gain:
            best_t, best_gain = t, gain
    return min(best_t, answer_t)
