"""The knowledge base's data model: FAQ entries and the validation problems a file can have."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

# The canonical column order of a knowledge-base table (CSV/XLSX, import and export).
COLUMNS: tuple[str, ...] = (
    "faq_id",
    "category",
    "question",
    "similar_questions",
    "answer",
    "department",
    "valid_from",
    "valid_to",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("faq_id", "category", "question", "answer")
# Similar questions share one cell, separated by this character.
SIMILAR_SEPARATOR = "|"


@dataclass(frozen=True)
class FaqEntry:
    faq_id: str
    category: str
    question: str
    similar_questions: tuple[str, ...]
    answer: str
    department: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def all_questions(self) -> tuple[str, ...]:
        """The standard question first, then the similar questions."""
        return (self.question, *self.similar_questions)

    def is_valid_on(self, day: date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        if self.valid_to and day > self.valid_to:
            return False
        return True


@dataclass(frozen=True)
class Problem:
    """One validation problem, located so an editor can find and fix it."""

    file: str
    row: int  # 1-based data row number as a spreadsheet shows it (header is row 1)
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.field}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[FaqEntry, ...]
    _by_id: dict[str, FaqEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.faq_id: e for e in self.entries})

    @classmethod
    def of(cls, entries: Iterable[FaqEntry]) -> KnowledgeBase:
        return cls(tuple(entries))

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[FaqEntry]:
        return iter(self.entries)

    def __contains__(self, faq_id: object) -> bool:
        return faq_id in self._by_id

    def get(self, faq_id: str) -> FaqEntry | None:
        return self._by_id.get(faq_id)

    def categories(self) -> list[str]:
        return sorted({e.category for e in self.entries})

    def valid_on(self, day: date) -> KnowledgeBase:
        return KnowledgeBase.of(e for e in self.entries if e.is_valid_on(day))
