"""Keep a spreadsheet from running text as a formula (CSV injection), reversibly.

Questions and answers come from citizens and editors; a cell starting with = + - @ (or a tab
or CR, which some spreadsheets skip before looking) would run as a formula when the CSV is
opened. Such a cell gets a leading apostrophe. A cell that is already apostrophes before a
formula start gets one more, so `restore` (the importer) can strip exactly one and give every
cell back as it was.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_START)


def neutralise(text: str) -> str:
    """`text` with a leading apostrophe if a spreadsheet could read it as a formula."""
    return "'" + text if _formula_like(text) else text


def restore(text: str) -> str:
    """Undo `neutralise`: strip the one apostrophe it adds, leave every other cell alone."""
    return text[1:] if text.startswith("'") and _formula_like(text[1:]) else text
