"""Labelled queries (query, expected_faq_id, kind) for calibration and evaluation."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError

KINDS = ("paraphrase", "out_of_scope", "request_human", "complaint")
HEADER = ("query", "expected_faq_id", "kind")


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    expected_faq_id: str  # empty unless kind is paraphrase
    kind: str


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read one CSV or every *.csv of a folder, checking the header, kinds and ids."""
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise InputError(f"no query file at {path}: give a CSV with columns {','.join(HEADER)}")
    queries: list[LabelledQuery] = []
    for file in files:
        try:
            with file.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                missing = [c for c in HEADER if c not in (reader.fieldnames or [])]
                if missing:
                    raise InputError(
                        f"{file}: missing column(s) {', '.join(missing)}; "
                        f"the header must be {','.join(HEADER)}"
                    )
                for row_no, row in enumerate(reader, start=2):
                    kind = (row["kind"] or "").strip()
                    if kind not in KINDS:
                        raise InputError(
                            f"{file}:{row_no}: kind {kind!r} is not one of {', '.join(KINDS)}"
                        )
                    expected = (row["expected_faq_id"] or "").strip()
                    if kind == "paraphrase" and not expected:
                        raise InputError(f"{file}:{row_no}: a paraphrase needs expected_faq_id")
                    text = (row["query"] or "").strip()
                    if text:
                        queries.append(LabelledQuery(text, expected, kind))
        except UnicodeDecodeError as err:
            raise InputError(f"{file} is not UTF-8 text; save it as UTF-8 CSV") from err
    return queries


def check_ids(queries: list[LabelledQuery], known_ids: set[str]) -> None:
    unknown = sorted({q.expected_faq_id for q in queries if q.expected_faq_id} - known_ids)
    if unknown:
        raise InputError(
            f"queries expect FAQ ids that are not in the knowledge base: {', '.join(unknown[:10])}"
        )
