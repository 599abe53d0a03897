"""Accepting a mined cluster: the draft FAQ entry an editor then answers and reviews."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.kb.model import COLUMNS, SIMILAR_SEPARATOR
from bot.mining.describe import tidy_question
from bot.mining.result import MinedCluster
from bot.text.normalize import normalize

MAX_SIMILAR = 10


@dataclass(frozen=True)
class FaqDraft:
    """A new entry to be: no faq_id and no answer yet, so it cannot be published as is."""

    question: str  # the standard question: the cluster's representative, tidied
    similar_questions: tuple[str, ...]  # the variants citizens used
    category: str  # the most frequent category among the cluster's rows ("" when unlabelled)
    answer: str = ""
    needs_answer: bool = True
    needs_review: bool = True
    source_cluster: str = ""
    nearest_faq_id: str | None = None  # for covered/partial clusters: maybe extend that one
    coverage: str = ""
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["similar_questions"] = list(self.similar_questions)
        data["notes"] = list(self.notes)
        return data

    def to_row(self, faq_id: str = "") -> dict[str, str]:
        """The draft in the knowledge-base table's columns (bot.kb.model.COLUMNS)."""
        values = {
            "faq_id": faq_id,
            "category": self.category,
            "question": self.question,
            "similar_questions": SIMILAR_SEPARATOR.join(self.similar_questions),
            "answer": self.answer,
        }
        return {c: values.get(c, "") for c in COLUMNS}


def _field(cluster: MinedCluster | dict[str, Any], name: str) -> Any:
    return cluster.get(name) if isinstance(cluster, dict) else getattr(cluster, name)


def accept_cluster(cluster: MinedCluster | dict[str, Any]) -> FaqDraft:
    """The draft entry for a cluster (a MinedCluster or its JSON object from a report)."""
    question = tidy_question(str(_field(cluster, "representative") or ""))
    seen = {normalize(question)}
    similar: list[str] = []
    for text in _field(cluster, "examples") or ():
        variant = tidy_question(str(text))
        key = normalize(variant)
        if key and key not in seen and SIMILAR_SEPARATOR not in variant:
            seen.add(key)
            similar.append(variant)
    categories = dict(_field(cluster, "categories") or {})
    category = next(iter(categories), "")
    coverage = str(_field(cluster, "coverage") or "")
    nearest = _field(cluster, "nearest_faq_id")
    notes = ["需要撰写答案", "需要审核"]
    if coverage in ("covered", "partial") and nearest:
        notes.append(f"与现有 FAQ {nearest} 相近：先考虑把这些问法补充为它的相似问法")
    return FaqDraft(
        question=question,
        similar_questions=tuple(similar[:MAX_SIMILAR]),
        category=category,
        source_cluster=str(_field(cluster, "id") or ""),
        nearest_faq_id=nearest,
        coverage=coverage,
        notes=tuple(notes),
    )
