"""Text normalisation for matching: one canonical form for a citizen's question and an FAQ's.

`normalize` folds width and compatibility forms (NFKC, character by character), lower-cases,
converts Traditional to Simplified, removes filler words (fillers.py), punctuation, emoji and
whitespace, and keeps letters and digits (Chinese number words stay as written).
`clean_display` only tidies whitespace for showing and logging.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InputError
from bot.text.fillers import strip_fillers
from bot.text.simplify import to_simplified

# Everything that is not a letter or a digit separates clauses and is dropped. Python's \w is
# str.isalnum() plus "_", so this also drops emoji, marks, controls and lone surrogates.
_SEPARATORS = re.compile(r"[\W_]+")

# A character whose compatibility form is longer than this keeps its own form (ﷺ is 18
# characters in NFKC, ㍱ is hPa): `normalize` never grows text more than twice.
_MAX_FOLD = 2
# Bounds the per-character fold cache; an adversarial stream of distinct characters then
# costs a recomputation, not memory.
_MAX_CACHED = 65536
# Enough for every case seen (a t2s phrase that a second pass changes again, e.g. 乾清宮).
_MAX_SETTLE_ROUNDS = 8


def _fold_char(ch: str) -> str:
    folded = ch
    # NFKC then lower-case, until stable: NFKC can produce capitals (㎒ -> MHz).
    for _ in range(3):
        step = unicodedata.normalize("NFKC", folded).lower()
        if step == folded:
            break
        folded = step
    return folded if len(folded) <= _MAX_FOLD else ch


class _FoldTable(dict[int, str]):
    """`str.translate` table that computes and caches each character's fold on first use."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < _MAX_CACHED:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def _require_str(text: object, function: str) -> str:
    if not isinstance(text, str):
        hint = "; decode it first (UTF-8)" if isinstance(text, bytes | bytearray) else ""
        raise InputError(f"{function}() needs text (str), got {type(text).__name__}{hint}")
    return text


def canonicalize(text: str) -> str:
    """Half-width, lower-case, Simplified form of `text`; nothing is removed.

    For vocabulary that must meet normalised text (jieba dictionary words, stop words).
    """
    return to_simplified(_require_str(text, "canonicalize").translate(_FOLD))


def normalize(text: str) -> str:
    """The matching form of `text`: letters and digits only, fillers removed."""
    text = canonicalize(_require_str(text, "normalize"))
    result = strip_fillers(_SEPARATORS.split(text))
    # Dropping punctuation and fillers joins characters that were apart: a t2s phrase can form
    # (答，覆 -> 答覆 -> 答复) or a greeting (你，好 -> 你好). Repeat on the joined text until it
    # is stable, so normalize(normalize(x)) == normalize(x); for plain Simplified text this is
    # one more regex pass, no conversion.
    for _ in range(_MAX_SETTLE_ROUNDS):
        again = strip_fillers([to_simplified(result)])
        if again == result:
            break
        result = again
    return result


def is_meaningful(text: str) -> bool:
    """False when nothing is left to match: empty, punctuation, emoji or fillers only."""
    return bool(normalize(text))


# Unicode whitespace (incl. the ideographic space and line separators) and invisible format
# characters that copy-paste brings along; ZWJ (U+200D) stays, emoji sequences need it.
_DISPLAY_SPACE = re.compile(r"[\s\u200b\u2060\ufeff]+")
# C0/C1 controls other than whitespace, and lone surrogates, which no log or database can
# encode as UTF-8.
_DISPLAY_DROP = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_display(text: str) -> str:
    """`text` for showing and logging: controls removed, whitespace runs as one space, trimmed."""
    text = _DISPLAY_DROP.sub("", _require_str(text, "clean_display"))
    return _DISPLAY_SPACE.sub(" ", text).strip()
