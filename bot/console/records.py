"""Rows of the console's knowledge-base tables as FaqEntry values and JSON, and back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.kb.model import FaqEntry

DRAFT, IN_REVIEW, PUBLISHED, RETIRED = "draft", "in_review", "published", "retired"
STATUSES = (DRAFT, IN_REVIEW, PUBLISHED, RETIRED)


@dataclass(frozen=True)
class StoredEntry:
    entry: FaqEntry
    status: str
    revision: int
    published_revision: int | None
    updated_at: datetime
    updated_by: str
    review_comment: str | None

    def to_dict(self, serving: bool) -> dict[str, Any]:
        return {
            **entry_json(self.entry),
            "status": self.status,
            "revision": self.revision,
            "updated_at": self.updated_at.isoformat(),
            "updated_by": self.updated_by,
            "review_comment": self.review_comment,
            "serving": serving,
        }


def entry_json(entry: FaqEntry) -> dict[str, Any]:
    return {
        "faq_id": entry.faq_id,
        "category": entry.category,
        "question": entry.question,
        "similar_questions": list(entry.similar_questions),
        "answer": entry.answer,
        "department": entry.department,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
        "valid_to": entry.valid_to.isoformat() if entry.valid_to else None,
    }


def content_json(entry: FaqEntry) -> str:
    data = entry_json(entry)
    del data["faq_id"]
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def entry_from_content(faq_id: str, content: str) -> FaqEntry:
    data = json.loads(content)
    return FaqEntry(
        faq_id=faq_id,
        category=data["category"],
        question=data["question"],
        similar_questions=tuple(data["similar_questions"]),
        answer=data["answer"],
        department=data.get("department", ""),
        valid_from=date.fromisoformat(data["valid_from"]) if data.get("valid_from") else None,
        valid_to=date.fromisoformat(data["valid_to"]) if data.get("valid_to") else None,
    )


def entry_columns(entry: FaqEntry) -> dict[str, Any]:
    """kb_entries column values of the entry's content."""
    return {
        "category": entry.category,
        "question": entry.question,
        "similar_questions": json.dumps(list(entry.similar_questions), ensure_ascii=False),
        "answer": entry.answer,
        "department": entry.department,
        "valid_from": entry.valid_from,
        "valid_to": entry.valid_to,
    }


def stored_entry(row: Any) -> StoredEntry:
    entry = FaqEntry(
        faq_id=row.faq_id,
        category=row.category,
        question=row.question,
        similar_questions=tuple(json.loads(row.similar_questions)),
        answer=row.answer,
        department=row.department,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )
    return StoredEntry(
        entry, row.status, int(row.revision),
        None if row.published_revision is None else int(row.published_revision),
        row.updated_at, row.updated_by, row.review_comment,
    )
