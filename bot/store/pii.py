"""Masking of personal data (mobile and ID-card numbers) before text is stored or shown.

Detection works on a copy of the text with full-width digits and separators folded to ASCII
(one character for one, so positions line up); only the matched numbers are rewritten, the
rest of the text stays as it was.

A number is a *run* of digit pieces joined by single spaces or dashes ("138 1234 5678").
Matches always cover whole pieces, so a 20-digit order number or a grouped bank-card number
is never partly masked; a piece that touches '*' and is as short as the visible part of a
masked number is taken to be one, which keeps masking idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Full-width digits, plus, X and the separators citizens (and ASR) type, folded one-to-one.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "\uff0b": "+",
        "\uff0d": "-",
        "\u3000": " ",
        "\uff38": "X",
        "\uff58": "x",
    }
)
_PIECE = re.compile(r"[0-9]+")
_SEPARATORS = " -"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_ID18_BODY = re.compile(
    r"[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}"
)
_ID15 = re.compile(r"[1-9][0-9]{5}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}")
_MAX_DIGITS = 18  # the longest thing we mask: an 18-digit ID card
# The digits a masked number leaves visible next to its stars (ID: 6 before, mobile: 3).
_MASKED_HEAD = 6
_MASKED_TAIL = 4


def fold_digits(text: str) -> str:
    """Full-width digits, plus, dash, space and X to ASCII, keeping the length."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int  # exclusive
    digits: str


def _runs(folded: str) -> list[list[_Piece]]:
    """Digit pieces grouped into runs (pieces joined by exactly one separator)."""
    runs: list[list[_Piece]] = []
    current: list[_Piece] = []
    for m in _PIECE.finditer(folded):
        piece = _Piece(m.start(), m.end(), m.group())
        before = folded[m.start() - 1] if m.start() > 0 else ""
        after = folded[m.end()] if m.end() < len(folded) else ""
        looks_masked = (after == "*" and len(piece.digits) <= _MASKED_HEAD) or (
            before == "*" and len(piece.digits) <= _MASKED_TAIL
        )
        joined = (
            current
            and piece.start == current[-1].end + 1
            and folded[current[-1].end] in _SEPARATORS
        )
        if not joined and current:
            runs.append(current)
            current = []
        if looks_masked:
            if current:
                runs.append(current)
            current = []
            continue
        current.append(piece)
    if current:
        runs.append(current)
    return runs


def _mask_mobile(digits: str) -> str:
    return f"{digits[:3]}****{digits[-4:]}"


def _match(folded: str, pieces: list[_Piece]) -> str | None:
    """The masked replacement if these whole pieces form a mobile or ID number."""
    digits = "".join(p.digits for p in pieces)
    n = len(digits)
    if n == 11 and _MOBILE.fullmatch(digits):
        return _mask_mobile(digits)
    for prefix in ("86", "0086"):
        if n == len(prefix) + 11 and digits.startswith(prefix):
            mobile = digits[len(prefix) :]
            if _MOBILE.fullmatch(mobile):
                # Keep the country prefix as written, so "+86 138..." stays readable.
                head_end = _prefix_end(pieces, len(prefix))
                if head_end is not None:
                    return folded[pieces[0].start : head_end] + _mask_mobile(mobile)
                return prefix + _mask_mobile(mobile)
    if n == 15 and _ID15.fullmatch(digits):
        return f"{digits[:6]}{'*' * 5}{digits[-4:]}"
    if n == 18 and _ID18_BODY.fullmatch(digits[:17]):
        return f"{digits[:6]}{'*' * 8}{digits[-4:]}"
    return None


def _prefix_end(pieces: list[_Piece], prefix_len: int) -> int | None:
    """Where the prefix ends in the text, including a separator after it, if it is whole
    pieces; None when the prefix is glued to the number ("8613812345678")."""
    count = 0
    for i, piece in enumerate(pieces):
        count += len(piece.digits)
        if count == prefix_len:
            return pieces[i + 1].start
        if count > prefix_len:
            return None
    return None


def _id17_with_x(folded: str, pieces: list[_Piece]) -> str | None:
    """An 18-digit ID whose check character is X: 17 digits then X/x, not glued to a word."""
    digits = "".join(p.digits for p in pieces)
    end = pieces[-1].end
    if len(digits) != 17 or end >= len(folded) or folded[end] not in "Xx":
        return None
    if end + 1 < len(folded) and folded[end + 1].isascii() and folded[end + 1].isalnum():
        return None
    if not _ID18_BODY.fullmatch(digits):
        return None
    return f"{digits[:6]}{'*' * 8}{digits[-3:]}{folded[end].upper()}"


def mask_pii(text: str) -> str:
    """Mask mobile numbers (138****5678) and ID-card numbers (110105********123X)."""
    folded = fold_digits(text)
    replacements: list[tuple[int, int, str]] = []
    for run in _runs(folded):
        i = 0
        while i < len(run):
            found = None
            total = 0
            for j in range(i, len(run)):
                total += len(run[j].digits)
                if total > _MAX_DIGITS:
                    break
                span = run[i : j + 1]
                masked = _match(folded, span)
                if masked is not None:
                    found = (j, span[-1].end, masked)
                    break
                masked = _id17_with_x(folded, span)
                if masked is not None:
                    found = (j, span[-1].end + 1, masked)
                    break
            if found is None:
                i += 1
                continue
            j, end, masked = found
            replacements.append((run[i].start, end, masked))
            i = j + 1
    if not replacements:
        return text
    out: list[str] = []
    last = 0
    for start, end, masked in replacements:
        out.append(text[last:start])
        out.append(masked)
        last = end
    out.append(text[last:])
    return "".join(out)


def _phone_digits(text: str) -> str:
    return "".join(ch for ch in fold_digits(text) if ch.isascii() and ch.isdigit())


def _strip_country(digits: str) -> str:
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits[len(prefix) :]):
            return digits[len(prefix) :]
    return digits


_LANDLINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}")
_PHONE_TEXT = re.compile(r"[\s\-+()（）]*")


def validate_phone(text: str) -> str | None:
    """The digits of a valid mobile (1[3-9] and 9 digits, +86/0086 allowed) or landline
    (0 + 2-3 digit area code + 7-8 digits) number, else None.

    The text may hold only the number with spaces, dashes, brackets and a + around it;
    anything else (words, a second number) makes it invalid, so a slot is never filled
    with a guess.
    """
    if not isinstance(text, str):
        return None
    folded = fold_digits(text).strip()
    rest = re.sub(r"[0-9]", "", folded)
    if not folded or not _PHONE_TEXT.fullmatch(rest):
        return None
    digits = _strip_country(_phone_digits(folded))
    if _MOBILE.fullmatch(digits):
        return digits
    if len(digits) <= 12 and _LANDLINE.fullmatch(digits):
        return digits
    return None


def mask_phone(phone: str) -> str:
    """A phone number for display and storage: 138****5678, 010****5678; never whole."""
    digits = _strip_country(_phone_digits(phone or ""))
    if not digits:
        return ""
    if _MOBILE.fullmatch(digits):
        return _mask_mobile(digits)
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4  # 010, 02x are 3 digits; others 4
        return f"{digits[:area]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)
