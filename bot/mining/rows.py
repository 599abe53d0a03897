"""The unit of mining: one citizen question from a ticket file or the deflection log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

LOG_SOURCE = "deflection-log"


@dataclass(frozen=True)
class MinedRow:
    source: str  # the file's resolved path, or LOG_SOURCE
    row: int  # 1-based row number as a spreadsheet shows it (header = 1), or the log's turn id
    text: str  # as the citizen wrote it, whitespace tidied
    time: datetime | None = None
    category: str = ""
    votes: int = 0  # "me too" votes (点赞数) where the file has them

    @property
    def key(self) -> str:
        """Identifies the row across runs (incremental mining skips rows already seen)."""
        return f"{self.source}#{self.row}"

    @property
    def source_name(self) -> str:
        return self.source if self.source == LOG_SOURCE else Path(self.source).name

    def ref(self) -> dict[str, object]:
        """How reports point at the row: file name and row number."""
        return {"source": self.source_name, "row": self.row}

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "row": self.row,
            "text": self.text,
            "time": self.time.isoformat(sep=" ") if self.time else None,
            "category": self.category,
            "votes": self.votes,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MinedRow:
        time = data.get("time")
        return cls(
            source=str(data["source"]),
            row=int(data["row"]),  # type: ignore[call-overload]
            text=str(data["text"]),
            time=datetime.fromisoformat(str(time)) if time else None,
            category=str(data.get("category") or ""),
            votes=int(data.get("votes") or 0),  # type: ignore[call-overload]
        )


@dataclass(frozen=True)
class SourceSummary:
    """What reading one source gave, for the run metadata and the CLI's summary line."""

    source: str
    text_column: str
    rows: int  # rows kept
    data_rows: int  # rows in the file (blank rows are not counted)
    skipped_empty: int  # rows whose text is empty or only punctuation/fillers
    skipped_before_since: int = 0
    undated: int = 0  # rows without a readable time (kept; no growth for them)
    bad_votes: int = 0  # votes cells that are not a number (counted as 0)
    time_column: str = ""
    category_column: str = ""
    votes_column: str = ""

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)
