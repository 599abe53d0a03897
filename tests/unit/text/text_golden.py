"""Reads the golden tables beside this file: `input<TAB>expected` rows, `#` comments."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|t|n|\\)")
_SIMPLE = {"t": "\t", "n": "\n", "\\": "\\"}


def unescape(cell: str) -> str:
    """Decode the escapes that let a cell hold tabs, newlines and control characters."""
    return _ESCAPE.sub(lambda m: _SIMPLE.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), cell)


def read_golden(name: str) -> list[tuple[str, str]]:
    rows = []
    for number, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        assert len(cells) == 2, f"{name}:{number}: expected 2 tab-separated cells, got {cells!r}"
        rows.append((unescape(cells[0]), unescape(cells[1])))
    return rows
