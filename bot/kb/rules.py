"""The rules an FAQ entry's fields follow, shared by the loader (strict) and importer (lenient).

Problem messages read `原因：细节`; the part before `：` names the kind of problem, so
reports can count problems by kind.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from bot.kb.model import SIMILAR_SEPARATOR

MAX_QUESTION_CHARS = 200
MAX_ANSWER_CHARS = 5000
MAX_ID_CHARS = 64
# Default for the bundled knowledge base; imported sheets usually have no similar questions.
DEFAULT_MIN_SIMILAR = 2
DEFAULT_CATEGORY = "未分类"

FIELD_LABELS = {
    "faq_id": "编号",
    "category": "类别",
    "question": "标准问",
    "similar_questions": "相似问",
    "answer": "答案",
    "department": "部门",
    "valid_from": "生效日期",
    "valid_to": "失效日期",
}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Lenient (import) dates: 2024-1-5, 2024/1/5, 2024.1.5, 2024年1月5日, optionally with a time.
_LOOSE_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_LOOSE_SEPARATORS = re.compile(r"[|｜\r\n]")


def problem_kind(message: str) -> str:
    """The kind of a problem message: the text before the first `：`."""
    return message.split("：", 1)[0]


def question_key(text: str) -> str:
    """Two questions that differ only in width, case, spacing or punctuation share a key."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def parse_date(text: str, *, lenient: bool) -> date:
    """A YYYY-MM-DD date; `lenient` also takes the forms spreadsheets produce. ValueError if bad."""
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        return date.fromisoformat(text)
    match = _LOOSE_DATE.fullmatch(text) if lenient else None
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def date_problem(text: str, *, lenient: bool) -> tuple[date | None, str | None]:
    """(the date or None when empty, a problem message or None)."""
    if not text.strip():
        return None, None
    try:
        return parse_date(text, lenient=lenient), None
    except ValueError:
        return None, f"日期格式错误：{text.strip()!r}，应为 YYYY-MM-DD，例如 2024-01-31"


def split_similar_strict(cell: str) -> tuple[tuple[str, ...], str | None]:
    """Split a `|`-separated cell; an empty part (`a||b`, a trailing `|`) is a problem."""
    if not cell.strip():
        return (), None
    parts = tuple(part.strip() for part in cell.split(SIMILAR_SEPARATOR))
    if any(not part for part in parts):
        return tuple(p for p in parts if p), (
            f"相似问为空：{cell.strip()!r} 里有空的一项（连续的或末尾的 |），删掉多余的 |"
        )
    return parts, None


def split_similar_lenient(cell: str, question: str) -> tuple[str, ...]:
    """Split on `|`, full-width `｜` or line breaks; drop empty parts and repeats of `question`."""
    seen = {question_key(question)}
    parts: list[str] = []
    for raw in _LOOSE_SEPARATORS.split(cell):
        part = raw.strip()
        key = question_key(part)
        if part and key not in seen:
            seen.add(key)
            parts.append(part)
    return tuple(parts)


def length_problem(field: str, text: str) -> str | None:
    limit = MAX_ANSWER_CHARS if field == "answer" else MAX_QUESTION_CHARS
    if len(text) > limit:
        label = FIELD_LABELS.get(field, field)
        return f"{label}过长：{len(text)} 字，上限 {limit} 字"
    return None


def id_problem(faq_id: str) -> str | None:
    if len(faq_id) > MAX_ID_CHARS:
        return f"编号过长：{len(faq_id)} 个字符，上限 {MAX_ID_CHARS}"
    if any(ch.isspace() for ch in faq_id):
        return f"编号含空白：{faq_id!r}，编号里不能有空格或换行"
    return None


def date_order_problem(valid_from: date | None, valid_to: date | None) -> str | None:
    if valid_from and valid_to and valid_to < valid_from:
        return f"日期顺序错误：失效日期 {valid_to} 早于生效日期 {valid_from}"
    return None
