"""XLSX reading and writing for bot.kb.tables (openpyxl, imported only when used)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.errors import InputError

# Excel refuses longer cells.
MAX_CELL_CHARS = 32767


def read_records(path: Path, source: str, sheet: str | None) -> list[tuple[int, tuple[str, ...]]]:
    """Every row of the first (or the named) worksheet as text cells, numbered from 1."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise
    except Exception as err:  # openpyxl raises many types for a damaged or foreign file
        raise InputError(
            f"{source}：不是有效的 .xlsx 文件（{type(err).__name__}）；"
            "若文件加了密码请先去掉，或在 Excel/WPS 里重新另存为 .xlsx"
        ) from err
    try:
        names = workbook.sheetnames
        if sheet is None:
            if not workbook.worksheets:
                raise InputError(f"{source}：工作簿里没有工作表")
            worksheet = workbook.worksheets[0]
        elif sheet in names:
            worksheet = workbook[sheet]
        else:
            raise InputError(
                f"{source}：没有名为 {sheet!r} 的工作表；有：{', '.join(names)}；用 --sheet 指定"
            )
        # Some writers record a wrong sheet size; reading without it reads every stored row.
        worksheet.reset_dimensions()
        return [
            (number, tuple(cell_text(value) for value in values))
            for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)
        ]
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A cell as an editor would read it: ids without '.0', dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    # Checked before the workbook opens: an error part-way through a write-only sheet leaves
    # openpyxl's row generator open, and it fails again when garbage-collected.
    table = [_clean(header, 1)] + [_clean(row, number) for number, row in enumerate(rows, 2)]
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet("FAQ")
    worksheet.freeze_panes = "A2"
    for values in table:
        cells = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=value)
            cell.data_type = "s"  # a text starting with "=" would otherwise become a formula
            cells.append(cell)
        worksheet.append(cells)
    workbook.save(path)


def _clean(values: Sequence[str], number: int) -> list[str]:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned = []
    for value in values:
        text = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters are not allowed in xlsx
        if len(text) > MAX_CELL_CHARS:
            raise InputError(
                f"第 {number} 行有一个 {len(text)} 字的单元格，"
                f"超过 Excel 的 {MAX_CELL_CHARS} 字上限；请导出为 .csv"
            )
        cleaned.append(text)
    return cleaned
