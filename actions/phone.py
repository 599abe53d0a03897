"""Reading a contact phone number (or a refusal to give one) from what the citizen said."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# A refusal is stored as "" so the form counts the slot as filled (None would re-ask).
REFUSED = ""
_REFUSALS = ("不留", "不想留", "没有", "不用", "算了", "不要", "不方便", "不给")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d{9})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?\d{7,8})(?!\d)")
# Separators citizens (and ASR) put inside a number: "138 1234 5678", "138-1234-5678".
_INNER_SEPARATORS = re.compile(r"(?<=\d)[\s\-]+(?=\d)")


def read_phone(text: str) -> str | None:
    """The number's digits, REFUSED ("") for a refusal, or None when neither is there.

    A number wins over refusal words ("没有手机，座机是010-12345678"); more than one
    different number is a guess, so None.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    validated = _shared_validator()(text)
    if validated:
        return validated
    found = _numbers_in(text)
    if len(found) == 1:
        return found.pop()
    if not found and any(word in text for word in _REFUSALS):
        return REFUSED
    return None


def _numbers_in(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text)
    found = {m.group(1) for m in _MOBILE.finditer(_INNER_SEPARATORS.sub("", folded))}
    # Landlines keep the area-code dash as the only separator: "0571-87654321".
    landline_text = re.sub(r"(?<=\d)\s+(?=\d)", "", folded)
    for match in _LANDLINE.finditer(landline_text):
        digits = match.group(1).replace("-", "")
        if not _MOBILE.fullmatch(digits):
            found.add(digits)
    return found


def _local_validate(text: str) -> str | None:
    found = _numbers_in(text)
    stripped = re.sub(r"[\s\-+()（）\d]", "", unicodedata.normalize("NFKC", text))
    return found.pop() if len(found) == 1 and not stripped else None


def _shared_validator() -> Callable[[str], str | None]:
    """bot.store.pii.validate_phone (the store's rule) when present, else the local one."""
    try:
        from bot.store.pii import validate_phone
    except ImportError:
        return _local_validate
    return validate_phone
