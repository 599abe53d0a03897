"""Load and validate a knowledge base: a folder of *.csv/*.xlsx tables or one such file.

Validation collects every problem of every file before failing, so an editor fixes them all in
one pass. `load_kb` raises KbValidationError listing them; `check_kb` returns them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError
from bot.kb import rules
from bot.kb.errors import KbValidationError
from bot.kb.model import COLUMNS, REQUIRED_COLUMNS, FaqEntry, KnowledgeBase, Problem
from bot.kb.tables import Table, TableRow, read_table

log = logging.getLogger(__name__)

# The bundled knowledge base lives in <kb_dir>/faq; load_kb(kb_dir) finds it there.
FAQ_SUBDIR = "faq"
FILE_FIELD = "file"  # Problem.field for a problem with the whole file (row 0)
ROW_FIELD = "row"  # Problem.field for a problem with a whole row
# What a knowledge-base folder is made of (a single file given by path may also be .tsv/.txt).
FOLDER_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class LocatedEntry:
    """An entry and the file row it came from."""

    entry: FaqEntry
    source: str
    row: int


def load_kb(path: Path, *, min_similar: int = 0) -> KnowledgeBase:
    """Load a knowledge base; raise KbValidationError with every problem if there are any.

    `min_similar` defaults to 0 so serving never fails for a missing paraphrase; the editorial
    check (`check_kb`, `bot kb check`) asks for DEFAULT_MIN_SIMILAR.
    """
    located, problems = collect(path, min_similar=min_similar)
    if problems:
        raise KbValidationError(problems, source=str(path))
    log.info("loaded %d FAQ entries from %s", len(located), path)
    return KnowledgeBase.of(item.entry for item in located)


def check_kb(path: Path, *, min_similar: int = rules.DEFAULT_MIN_SIMILAR) -> list[Problem]:
    """Every problem of the knowledge base at `path` (an empty list when it is clean)."""
    return collect(path, min_similar=min_similar)[1]


def kb_folder(path: Path) -> Path:
    """The folder holding the tables: `path`, or its faq/ subfolder when `path` has none."""
    if path.is_dir() and not table_files(path) and (path / FAQ_SUBDIR).is_dir():
        return path / FAQ_SUBDIR
    return path


def kb_files(path: Path) -> list[Path]:
    """The table files a knowledge-base path stands for, in load order."""
    if not path.exists():
        raise InputError(f"知识库路径 {path} 不存在；检查路径或设置 BOT_KB_DIR")
    if path.is_file():
        return [path]
    files = table_files(kb_folder(path))
    if not files:
        raise InputError(
            f"文件夹 {path} 里没有 .csv 或 .xlsx 知识库文件；"
            f"每个类别一个文件，表头为 {','.join(COLUMNS)}"
        )
    return files


def table_files(folder: Path) -> list[Path]:
    """The table files directly in `folder`, sorted by name."""
    # "~$x.xlsx" is Excel's lock file and ".x" a hidden or temporary file: never knowledge.
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in FOLDER_SUFFIXES
        and not p.name.startswith(("~$", "."))
        and p.is_file()
    )


def collect(path: Path, *, min_similar: int) -> tuple[list[LocatedEntry], list[Problem]]:
    """All entries that could be read, and all problems, of every file of `path`."""
    located: list[LocatedEntry] = []
    problems: list[Problem] = []
    for file in kb_files(path):
        try:
            table = read_table(file)
        except InputError as err:
            message = str(err).removeprefix(f"{file}：")
            problems.append(Problem(str(file), 0, FILE_FIELD, message))
            continue
        entries, found = entries_from_table(table, min_similar=min_similar)
        located += entries
        problems += found
    problems += cross_check(located)
    problems.sort(key=lambda p: (p.file, p.row))
    return located, problems


def _column_indexes(table: Table) -> tuple[dict[str, int], list[Problem]]:
    problems: list[Problem] = []
    where = table.header_row
    known = {name.casefold(): name for name in COLUMNS}
    indexes: dict[str, int] = {}
    for i, cell in enumerate(table.header):
        name = known.get(cell.casefold())
        if not cell:
            continue
        if name is None:
            message = f"未知列：{cell!r}，可用的列是 {','.join(COLUMNS)}"
            problems.append(Problem(table.source, where, cell, message))
        elif name in indexes:
            problems.append(Problem(table.source, where, cell, f"列重复：{cell!r} 出现了两次"))
        else:
            indexes[name] = i
    if not indexes:
        shown = ",".join(table.header)[:80]
        return {}, [
            Problem(
                table.source,
                where,
                FILE_FIELD,
                f"没有表头：第 {where} 行应为列名 {','.join(COLUMNS)}，现在是 {shown!r}",
            )
        ]
    for name in REQUIRED_COLUMNS:
        if name not in indexes:
            problems.append(
                Problem(table.source, where, name, f"缺少列：必需的列 {name} 不在表头里")
            )
    return indexes, problems


def entries_from_table(
    table: Table, *, min_similar: int
) -> tuple[list[LocatedEntry], list[Problem]]:
    """Parse a table in the canonical columns; entries whose id and question are present are
    returned even when other fields have problems, so duplicates can still be found."""
    indexes, problems = _column_indexes(table)
    if any(name not in indexes for name in REQUIRED_COLUMNS):
        return [], problems
    located: list[LocatedEntry] = []
    for row in table.rows:
        item, found = _parse_row(table, row, indexes, min_similar)
        problems += found
        if item:
            located.append(item)
    return located, problems


def _parse_row(
    table: Table, row: TableRow, indexes: dict[str, int], min_similar: int
) -> tuple[LocatedEntry | None, list[Problem]]:
    problems: list[Problem] = []

    def cell(name: str) -> str:
        index = indexes.get(name)
        return row.cell(index).strip() if index is not None else ""

    def report(field: str, message: str | None) -> None:
        if message:
            problems.append(Problem(table.source, row.number, field, message))

    extra = [c for c in row.cells[len(table.header) :] if c.strip()]
    if extra:
        report(
            ROW_FIELD,
            f"多余的单元格：本行比表头多 {len(extra)} 个非空单元格；"
            "含英文逗号的内容要用双引号括起来",
        )
    faq_id, question, answer = cell("faq_id"), cell("question"), cell("answer")
    report("faq_id", "编号为空：每条都要有唯一编号" if not faq_id else rules.id_problem(faq_id))
    report("category", None if cell("category") else "类别为空：填写这条问答所属的类别")
    report("question", "标准问为空" if not question else rules.length_problem("question", question))
    report("answer", "答案为空" if not answer else rules.length_problem("answer", answer))
    similar, message = rules.split_similar_strict(cell("similar_questions"))
    report("similar_questions", message)
    for text in similar:
        report("similar_questions", rules.length_problem("similar_questions", text))
    if len(similar) < min_similar:
        report(
            "similar_questions",
            f"相似问太少：只有 {len(similar)} 条，至少需要 {min_similar} 条（用 | 分隔）",
        )
    valid_from, message = rules.date_problem(cell("valid_from"), lenient=False)
    report("valid_from", message)
    valid_to, message = rules.date_problem(cell("valid_to"), lenient=False)
    report("valid_to", message)
    report("valid_to", rules.date_order_problem(valid_from, valid_to))
    if not (faq_id and question):
        return None, problems
    entry = FaqEntry(
        faq_id=faq_id,
        category=cell("category"),
        question=question,
        similar_questions=similar,
        answer=answer,
        department=cell("department"),
        valid_from=valid_from,
        valid_to=valid_to,
    )
    return LocatedEntry(entry, table.source, row.number), problems


def cross_check(located: Sequence[LocatedEntry]) -> list[Problem]:
    """Duplicate ids, and questions that two entries (or one entry twice) share."""
    problems: list[Problem] = []
    first_with_id: dict[str, LocatedEntry] = {}
    # question key -> (entry, position in all_questions, text) where it was first seen
    first_with_key: dict[str, tuple[LocatedEntry, int, str]] = {}
    for item in located:
        entry = item.entry
        first = first_with_id.setdefault(entry.faq_id, item)
        if first is not item:
            problems.append(
                Problem(
                    item.source,
                    item.row,
                    "faq_id",
                    f"编号重复：{entry.faq_id!r} 已在 {first.source} 第 {first.row} 行使用",
                )
            )
        for index, text in enumerate(entry.all_questions):
            key = rules.question_key(text)
            seen = first_with_key.setdefault(key, (item, index, text)) if key else None
            if seen is None or (seen[0] is item and seen[1] == index):
                continue
            other, other_index, other_text = seen
            label = rules.FIELD_LABELS["question" if other_index == 0 else "similar_questions"]
            if other is item:
                where = f"本条的{label}"
            else:
                where = f"{other.source} 第 {other.row} 行（{other.entry.faq_id}）的{label}"
            problems.append(
                Problem(
                    item.source,
                    item.row,
                    "question" if index == 0 else "similar_questions",
                    f"问题重复：{text!r} 与{where} {other_text!r} 相同（忽略空格和标点）",
                )
            )
    return problems
