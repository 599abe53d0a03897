"""Import an external sheet (the spreadsheets editors already keep) as FAQ entries.

Lenient where a fix is safe (dates like 2024/1/5, empty or repeated similar questions, a missing
id or category), strict where it is not: a row with a problem is rejected with its reason and
the good rows are kept.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError
from bot.kb import rules
from bot.kb.csvsafe import restore
from bot.kb.loader import LocatedEntry
from bot.kb.mapping import ColumnMapping, parse_map_spec
from bot.kb.model import COLUMNS, FaqEntry, Problem
from bot.kb.tables import CSV_SUFFIXES, Table, TableRow, read_table

log = logging.getLogger(__name__)

DEFAULT_ID_PREFIX = "IMP"


@dataclass(frozen=True)
class ImportResult:
    source: str
    mapping: ColumnMapping
    located: tuple[LocatedEntry, ...]  # accepted entries with their sheet rows
    rejected: tuple[Problem, ...]  # one per rejected row: its first problem
    rows_read: int

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return tuple(item.entry for item in self.located)

    def rejected_by_kind(self) -> Counter[str]:
        return Counter(rules.problem_kind(p.message) for p in self.rejected)


def import_table(
    path: Path,
    mapping: ColumnMapping | Mapping[str, str | None] | str | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limit: int | None = None,
    id_prefix: str = DEFAULT_ID_PREFIX,
    default_category: str = rules.DEFAULT_CATEGORY,
    min_similar: int = 0,
) -> ImportResult:
    """Read `path` and turn its rows into entries; `mapping` may be a ColumnMapping, a partial
    {field: header} (the rest is guessed from the headers), a `--map` string, or None."""
    if limit is not None and limit < 1:
        raise InputError(f"--limit {limit} 无效；应为正整数")
    table = read_table(path, encoding=encoding, sheet=sheet)
    if isinstance(mapping, ColumnMapping):
        resolved = ColumnMapping.resolve(table, dict(mapping.items()) | _unmapped(mapping))
    else:
        spec = parse_map_spec(mapping) if isinstance(mapping, str) else mapping
        resolved = ColumnMapping.resolve(table, spec)
    rows = table.rows[:limit] if limit else table.rows
    if not rows:
        raise InputError(f"{table.source}：只有表头，没有数据行")
    # Our own CSV export quotes formula-like cells (bot/kb/csvsafe.py); an .xlsx has no quotes.
    restore_quoted = path.suffix.lower() in CSV_SUFFIXES
    converter = _RowConverter(
        table, resolved, id_prefix, default_category, min_similar, restore_quoted
    )
    located: list[LocatedEntry] = []
    rejected: list[Problem] = []
    for row in rows:
        item, problem = converter.convert(row)
        if problem:
            rejected.append(problem)
        elif item:
            located.append(item)
    log.info(
        "imported %s: %d rows, %d accepted, %d rejected",
        table.source,
        len(rows),
        len(located),
        len(rejected),
    )
    return ImportResult(table.source, resolved, tuple(located), tuple(rejected), len(rows))


def generated_id(prefix: str, question: str) -> str:
    """Stable across re-imports of the same question (sha1, not hash(): that is salted)."""
    key = rules.question_key(question) or question
    return f"{prefix}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def _unmapped(mapping: ColumnMapping) -> dict[str, str | None]:
    # A ColumnMapping is complete: its None fields stay unmapped rather than guessed.
    mapped = mapping.mapped_fields()
    return {name: None for name in COLUMNS if name not in mapped}


class _RowConverter:
    """Turns rows into entries and remembers ids and questions already taken."""

    def __init__(
        self,
        table: Table,
        mapping: ColumnMapping,
        id_prefix: str,
        default_category: str,
        min_similar: int,
        restore_quoted: bool = False,
    ) -> None:
        self.table = table
        self.indexes = {name: table.index_of(header) for name, header in mapping.items()}
        self.id_prefix = id_prefix
        self.default_category = default_category
        self.min_similar = min_similar
        self.rows_by_id: dict[str, int] = {}
        self.owner_of_key: dict[str, tuple[int, str, str]] = {}  # key -> (row, faq_id, text)
        self.restore_quoted = restore_quoted

    def cell(self, row: TableRow, name: str) -> str:
        index = self.indexes.get(name)
        if index is None:
            return ""
        text = row.cell(index)
        return (restore(text) if self.restore_quoted else text).strip()

    def convert(self, row: TableRow) -> tuple[LocatedEntry | None, Problem | None]:
        entry, field, message = self._entry(row)
        if message or entry is None:
            return None, Problem(self.table.source, row.number, field, message or "")
        field, message = self._duplicate(row, entry)
        if message:
            return None, Problem(self.table.source, row.number, field, message)
        self.rows_by_id[entry.faq_id] = row.number
        for text in entry.all_questions:
            if key := rules.question_key(text):
                self.owner_of_key.setdefault(key, (row.number, entry.faq_id, text))
        return LocatedEntry(entry, self.table.source, row.number), None

    def _entry(self, row: TableRow) -> tuple[FaqEntry | None, str, str | None]:
        question, answer = self.cell(row, "question"), self.cell(row, "answer")
        if not question:
            return None, "question", "标准问为空"
        if not answer:
            return None, "answer", "答案为空"
        for name, text in (("question", question), ("answer", answer)):
            if message := rules.length_problem(name, text):
                return None, name, message
        similar = rules.split_similar_lenient(self.cell(row, "similar_questions"), question)
        for text in similar:
            if message := rules.length_problem("similar_questions", text):
                return None, "similar_questions", message
        if len(similar) < self.min_similar:
            return (
                None,
                "similar_questions",
                (f"相似问太少：只有 {len(similar)} 条，至少需要 {self.min_similar} 条"),
            )
        faq_id = self.cell(row, "faq_id") or generated_id(self.id_prefix, question)
        if message := rules.id_problem(faq_id):
            return None, "faq_id", message
        valid_from, message = rules.date_problem(self.cell(row, "valid_from"), lenient=True)
        if message:
            return None, "valid_from", message
        valid_to, message = rules.date_problem(self.cell(row, "valid_to"), lenient=True)
        if message := message or rules.date_order_problem(valid_from, valid_to):
            return None, "valid_to", message
        entry = FaqEntry(
            faq_id=faq_id,
            category=self.cell(row, "category") or self.default_category,
            question=question,
            similar_questions=similar,
            answer=answer,
            department=self.cell(row, "department"),
            valid_from=valid_from,
            valid_to=valid_to,
        )
        return entry, "", None

    def _duplicate(self, row: TableRow, entry: FaqEntry) -> tuple[str, str | None]:
        for index, text in enumerate(entry.all_questions):
            key = rules.question_key(text)
            owner = self.owner_of_key.get(key) if key else None
            if owner:
                other_row, other_id, other_text = owner
                field = "question" if index == 0 else "similar_questions"
                return field, (
                    f"问题重复：{text!r} 与第 {other_row} 行（{other_id}）的 {other_text!r} 相同"
                )
        if entry.faq_id in self.rows_by_id:
            return "faq_id", (
                f"编号重复：{entry.faq_id!r} 已在第 {self.rows_by_id[entry.faq_id]} 行使用"
            )
        return "", None
