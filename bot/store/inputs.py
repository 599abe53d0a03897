"""Checking and cleaning what callers hand the store, before anything is written.

Bad values raise InputError naming the field, the value and the fix. Texts are masked, then
cut to size; characters no database can hold (NUL, lone surrogates) are replaced.
SQL or HTML inside a text is just text: every statement is parameterised.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from bot.errors import InputError
from bot.store.base import Candidate
from bot.store.pii import mask_pii
from bot.store.schema import SESSION_ID_MAX

TEXT_MAX = 10_000
REPLY_MAX = 2_000
# Masking looks at this much more than it keeps, so a number at the cut is still masked.
_MASK_MARGIN = 64

E = TypeVar("E", bound=Enum)


def session_id(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > SESSION_ID_MAX:
        shown = value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value
        raise InputError(
            f"session id {shown!r} is not usable: give a non-empty string of at most "
            f"{SESSION_ID_MAX} characters"
        )
    if "\x00" in value or _has_surrogate(value):
        raise InputError(
            f"session id {value!r} contains a NUL or an unpaired surrogate character, which "
            "the database cannot store: use printable characters"
        )
    return value


def _has_surrogate(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def clean_text(value: object, field: str, limit: int = TEXT_MAX) -> str:
    """Masked, storable, at most `limit` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{field} must be text, got {type(value).__name__} {value!r:.60}")
    value = value[: limit + _MASK_MARGIN].replace("\x00", "")
    if _has_surrogate(value):
        value = value.encode("utf-8", "replace").decode("utf-8")
    return mask_pii(value)[:limit]


def short(value: object, field: str, limit: int) -> str | None:
    """An identifier-like optional string (intent, decision, faq_id): checked, not cut."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise InputError(f"{field} {value!r:.80} must be a string of at most {limit} characters")
    return value


def number(value: object, field: str) -> float | None:
    """An optional finite number; NaN and infinities are stored as unknown (NULL)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{field} must be a number or None, got {value!r:.60}")
    value = float(value)
    return value if math.isfinite(value) else None


def enum_value(kind: type[E], value: object, field: str) -> E:
    try:
        return kind(value)
    except ValueError as err:
        allowed = ", ".join(str(m.value) for m in kind)  # type: ignore[attr-defined]
        raise InputError(f"{field} {value!r} is not one of {allowed}") from err


def moment(value: object, field: str = "at") -> datetime:
    """A naive local time: None is now; an aware time is converted to local time."""
    if value is None:
        return datetime.now()
    if not isinstance(value, datetime):
        raise InputError(f"{field} must be a datetime or None, got {value!r:.60}")
    if value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


def summary_json(summary: object) -> str:
    """The hand-over summary as JSON, every string in it masked."""
    if not isinstance(summary, dict):
        raise InputError(f"handover summary must be a dict, got {type(summary).__name__}")
    try:
        return json.dumps(_masked(summary), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InputError(
            f"handover summary cannot be stored as JSON ({err}): use only str, numbers, "
            "bools, None, lists and dicts with string keys"
        ) from err


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value, "handover summary")
    if isinstance(value, dict):
        return {
            (clean_text(k, "handover summary key") if isinstance(k, str) else k): _masked(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def candidates_json(candidates: object) -> str:
    """Candidates as JSON [{"faq_id", "score"}]; plain dicts of that shape are accepted."""
    items = []
    faq_id: object
    score: object
    for c in candidates or ():  # type: ignore[attr-defined]
        if isinstance(c, Candidate):
            faq_id, score = c.faq_id, c.score
        elif isinstance(c, dict) and "faq_id" in c:
            faq_id, score = c["faq_id"], c.get("score")
        else:
            raise InputError(f"candidate {c!r:.80} is not a Candidate(faq_id, score)")
        items.append(
            {
                "faq_id": short(faq_id, "candidate faq_id", 128),
                "score": number(score, "candidate score"),
            }
        )
    return json.dumps(items, ensure_ascii=False)
