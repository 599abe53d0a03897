"""Clustering quality against labels: pairwise precision/recall on labelled question pairs
(LCQMC) and purity against categories (the tipdm first-level labels)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairQuality:
    pairs: int
    positives: int
    precision: float  # labelled pairs put together that are label 1 (TP / (TP + FP))
    recall: float  # label-1 pairs put together
    negatives_apart: float  # label-0 pairs kept apart
    f1: float

    def to_dict(self) -> dict[str, float | int]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def pairwise_quality(
    labels: np.ndarray, pairs: Sequence[tuple[int, int, int]]
) -> PairQuality:
    """`pairs`: (row a, row b, gold 0/1); rows index `labels`."""
    together = np.array([labels[a] == labels[b] for a, b, _ in pairs], dtype=bool)
    gold = np.array([g == 1 for _, _, g in pairs], dtype=bool)
    tp = int((together & gold).sum())
    fp = int((together & ~gold).sum())
    positives = int(gold.sum())
    negatives = len(pairs) - positives
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 0.0
    apart = int((~together & ~gold).sum()) / negatives if negatives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairQuality(len(pairs), positives, precision, recall, apart, f1)


@dataclass(frozen=True)
class Purity:
    labelled_rows: int  # labelled rows in groups with at least `min_labelled` labelled rows
    groups: int
    purity: float  # share of those rows whose label is their group's majority label
    baseline: float  # the same if every row were labelled with the overall majority

    def to_dict(self) -> dict[str, float | int]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def purity(labels: Sequence[int], categories: Sequence[str], min_labelled: int = 2) -> Purity:
    """Purity over groups holding at least `min_labelled` labelled rows ("" = unlabelled):
    singletons are trivially pure and would say nothing."""
    by_group: dict[int, Counter[str]] = {}
    for group, category in zip(labels, categories, strict=True):
        if category:
            by_group.setdefault(int(group), Counter())[category] += 1
    kept = [c for c in by_group.values() if sum(c.values()) >= min_labelled]
    rows = sum(sum(c.values()) for c in kept)
    if not rows:
        return Purity(0, 0, 0.0, 0.0)
    majority = sum(c.most_common(1)[0][1] for c in kept)
    overall: Counter[str] = Counter()
    for c in kept:
        overall.update(c)
    return Purity(rows, len(kept), majority / rows, overall.most_common(1)[0][1] / rows)
