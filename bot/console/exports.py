"""Exporting the console's knowledge base as CSV (UTF-8 with a BOM, so Excel opens it) or
XLSX, with the file writers the `bot kb export` command uses."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.console.entry_query import EntryQuery
from bot.console.errors import invalid
from bot.console.records import PUBLISHED, STATUSES
from bot.errors import InputError
from bot.kb.export import export_kb
from bot.kb.model import KnowledgeBase

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_bytes(query: EntryQuery, fmt: str, status: str) -> tuple[bytes, str]:
    """(file content, media type). status "published": the content that is live (or being
    published); another status: the working content of entries in that state; "": all."""
    if fmt not in FORMATS:
        raise invalid("format", f"导出格式 {fmt!r} 不支持；可用 csv 或 xlsx")
    if status and status not in STATUSES:
        raise invalid("status", f"状态 {status!r} 不存在；可用：{', '.join(STATUSES)}")
    if status == PUBLISHED:
        kb = query.published_kb()
    else:
        kb = KnowledgeBase.of(s.entry for s in query.search_all()
                              if not status or s.status == status)
    with tempfile.TemporaryDirectory(prefix="console-export-") as folder:
        path = Path(folder) / f"faq.{fmt}"
        try:
            # Editors open it in a spreadsheet; the console import strips the quotes again.
            export_kb(kb, path, bom=True, formula_safe=True)
        except InputError as err:
            raise invalid("format", str(err)) from err
        return path.read_bytes(), FORMATS[fmt]
