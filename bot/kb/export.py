"""Write a knowledge base: one file in the canonical columns, or the bundled folder format
(one CSV per category), keeping every entry in the file it already lives in."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from bot.errors import InputError
from bot.kb.csvsafe import neutralise
from bot.kb.loader import table_files
from bot.kb.model import COLUMNS, SIMILAR_SEPARATOR, FaqEntry, KnowledgeBase
from bot.kb.rules import DEFAULT_CATEGORY
from bot.kb.tables import CSV_SUFFIXES, read_table, write_table, write_tables

log = logging.getLogger(__name__)

_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\s]+')


def entry_row(entry: FaqEntry) -> list[str]:
    """An entry's cells in COLUMNS order."""
    return [
        entry.faq_id,
        entry.category,
        entry.question,
        SIMILAR_SEPARATOR.join(entry.similar_questions),
        entry.answer,
        entry.department,
        entry.valid_from.isoformat() if entry.valid_from else "",
        entry.valid_to.isoformat() if entry.valid_to else "",
    ]


def export_kb(
    kb: KnowledgeBase, path: Path, *, bom: bool = False, formula_safe: bool = False
) -> None:
    """Write every entry to one .csv or .xlsx file (`bom`: a UTF-8 BOM so Excel reads the CSV).

    `formula_safe`: formula-like CSV cells get a leading apostrophe (bot/kb/csvsafe.py), which
    the importer strips again; the loader does not, so KB folder files are written without it.
    An .xlsx needs none: its cells are written as text.
    """
    rows = [entry_row(e) for e in kb]
    if formula_safe and path.suffix.lower() in CSV_SUFFIXES:
        rows = [[neutralise(cell) for cell in row] for row in rows]
    write_table(path, COLUMNS, rows, bom=bom)
    log.info("exported %d entries to %s", len(kb), path)


def write_kb_folder(kb: KnowledgeBase, folder: Path) -> list[Path]:
    """Rewrite `folder` so it holds exactly `kb`; returns the files written.

    Entries stay in the file they are in now; a new entry joins the file of its category, or a
    new `<category>.csv`. Every file is staged before any is replaced, so a failed write leaves
    the folder as it was; files left with no entries are removed last.
    """
    folder.mkdir(parents=True, exist_ok=True)
    existing = table_files(folder)
    file_of_id: dict[str, Path] = {}
    file_of_category: dict[str, Path] = {}
    for path in existing:
        table = read_table(path)
        id_index, category_index = table.index_of("faq_id"), table.index_of("category")
        if id_index is None:
            raise InputError(f"{path}：没有 faq_id 列，无法判断其中的条目；先改正或移走这个文件")
        for row in table.rows:
            file_of_id.setdefault(row.cell(id_index).strip(), path)
            if category_index is not None:
                file_of_category.setdefault(row.cell(category_index).strip(), path)
    taken = {p.name.casefold() for p in existing}
    groups: dict[Path, list[FaqEntry]] = {}
    for entry in kb:
        target = file_of_id.get(entry.faq_id) or file_of_category.get(entry.category)
        if target is None:
            target = folder / _new_file_name(entry.category, taken)
            taken.add(target.name.casefold())
            file_of_category[entry.category] = target
        groups.setdefault(target, []).append(entry)
    write_tables(
        [(path, COLUMNS, [entry_row(e) for e in entries]) for path, entries in groups.items()]
    )
    for path in existing:
        if path not in groups:
            log.warning("removing %s: none of its entries remain", path)
            path.unlink()
    return list(groups)


def _new_file_name(category: str, taken: set[str]) -> str:
    stem = _UNSAFE_IN_NAME.sub("_", category).strip("._") or DEFAULT_CATEGORY
    name, number = f"{stem}.csv", 2
    while name.casefold() in taken:
        name, number = f"{stem}_{number}.csv", number + 1
    return name
