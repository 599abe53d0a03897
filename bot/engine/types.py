"""Result types of the FAQ engine, shared by the actions, the gateway and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Decision(str, Enum):
    ANSWER = "answer"  # confident: answer directly
    CLARIFY = "clarify"  # plausible: offer the top 2-3 entries as numbered choices
    HANDOVER = "handover"  # nothing good enough: hand over to a human agent


@dataclass(frozen=True)
class FaqMatch:
    """One candidate entry for a query."""

    faq_id: str
    score: float  # the calibrated combined score the decision uses
    question: str  # the entry's standard question
    matched_question: str  # the standard or similar question that matched best
    answer: str
    category: str
    department: str
    dense_score: float  # cosine similarity of the best-matching question
    lexical_score: float = 0.0  # BM25, normalised to [0, 1]; 0 when not used


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, chosen by calibration and stored with the index."""

    answer: float  # top score at or above this (with enough margin) -> answer
    margin: float  # top score minus the next entry's score must reach this to answer
    clarify: float  # top score at or above this -> clarify; below -> hand over
    target_precision: float = 0.95
    calibrated_on: str = ""  # what labelled queries they came from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thresholds:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class FaqResult:
    query: str
    normalized_query: str
    decision: Decision
    candidates: tuple[FaqMatch, ...]  # best first; at most 3 for clarify
    latency_ms: float
    index_version: str

    @property
    def top(self) -> FaqMatch | None:
        return self.candidates[0] if self.candidates else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "normalized_query": self.normalized_query,
            "decision": self.decision.value,
            "candidates": [asdict(c) for c in self.candidates],
            "latency_ms": round(self.latency_ms, 2),
            "index_version": self.index_version,
        }
