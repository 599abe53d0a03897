"""A dashboard view as a file: CSV (UTF-8 with a BOM, so Excel opens the Chinese right) or
XLSX (openpyxl: the table on the first sheet, rates as percentages, a notes sheet saying what
the numbers mean). Numbers are written as numbers, so a file reads back to the same values.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.dashboard.views import Column, View
from bot.kb.csvsafe import neutralise

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with a quote: the questions
    citizens typed reach these files (CSV injection)."""
    return neutralise(value) if isinstance(value, str) else value


def _kind(column: Column, row: dict[str, Any]) -> str:
    return str(row.get("_kind", column.kind)) if column.key == "value" else column.kind


def to_csv(view: View) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in view.columns])
    for row in view.rows:
        writer.writerow(["" if row.get(c.key) is None else _cell(row[c.key]) for c in view.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(view: View) -> bytes:
    from openpyxl import Workbook  # lazily: only exports need it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = view.title[:31]  # Excel's limit on a sheet name
    sheet.append([c.label for c in view.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(view.rows, start=2):
        for col, column in enumerate(view.columns, start=1):
            value = row.get(column.key)
            cell = sheet.cell(row=r, column=col, value=_cell(value))
            kind = _kind(column, row)
            if kind == "rate" and value is not None:
                cell.number_format = "0.0%"
            elif kind == "float" and isinstance(value, float):
                cell.number_format = "0.00"
    for col, column in enumerate(view.columns, start=1):
        longest = max(
            [_width(column.label), *(_width(str(row.get(column.key) or "")) for row in view.rows)]
        )
        sheet.column_dimensions[get_column_letter(col)].width = min(60, longest + 2)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    for line in view.notes:
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def render(view: View, fmt: str) -> tuple[bytes, str]:
    """The file's bytes and media type."""
    if fmt == "csv":
        return to_csv(view), CSV_TYPE
    return to_xlsx(view), XLSX_TYPE
