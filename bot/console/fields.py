"""Checking an entry's fields as an editor typed them, by the rules a file import follows
(bot/kb/rules.py: the same limits and the same Chinese messages). A draft may lack its
answer (an accepted mining cluster is questions only); review and publishing need one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.console.errors import ConsoleError, invalid
from bot.kb import rules
from bot.kb.model import SIMILAR_SEPARATOR, FaqEntry

# Category and department are short labels; the table column holds 200.
MAX_LABEL_CHARS = 100
MAX_SIMILAR = 100


@dataclass(frozen=True)
class EntryFields:
    """What an editor sends; `faq_id` may be empty when a new entry gets one assigned."""

    category: str = ""
    question: str = ""
    similar_questions: tuple[str, ...] = ()
    answer: str = ""
    department: str = ""
    valid_from: str | None = None
    valid_to: str | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> EntryFields:
        similar = data.get("similar_questions") or ()
        if isinstance(similar, str):
            similar = (similar,)
        return cls(
            category=_text(data.get("category")),
            question=_text(data.get("question")),
            similar_questions=tuple(_text(s) for s in similar),
            answer=_text(data.get("answer")),
            department=_text(data.get("department")),
            valid_from=_text(data.get("valid_from")) or None,
            valid_to=_text(data.get("valid_to")) or None,
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def check_id(faq_id: str) -> str:
    faq_id = faq_id.strip()
    if not faq_id:
        raise invalid("faq_id", "编号为空：每条都要有唯一编号")
    if message := rules.id_problem(faq_id):
        raise invalid("faq_id", message)
    if "/" in faq_id or "?" in faq_id or "#" in faq_id:
        raise invalid("faq_id", f"编号含非法字符：{faq_id!r}，编号里不能有 / ? #")
    return faq_id


def to_entry(faq_id: str, fields: EntryFields) -> FaqEntry:
    """A valid FaqEntry, or ConsoleError 422 naming the first field that is wrong."""
    if not fields.category:
        raise invalid("category", "类别为空：填写这条问答所属的类别")
    for name, value in (("category", fields.category), ("department", fields.department)):
        if len(value) > MAX_LABEL_CHARS:
            label = rules.FIELD_LABELS[name]
            raise invalid(name, f"{label}过长：{len(value)} 字，上限 {MAX_LABEL_CHARS} 字")
    if not fields.question:
        raise invalid("question", "标准问为空")
    # An empty answer is fine in a draft (a mined cluster starts as questions only);
    # check_publishable stops it at submit and approve.
    for name, value in (("question", fields.question), ("answer", fields.answer)):
        if message := rules.length_problem(name, value):
            raise invalid(name, message)
    similar = _similar(fields.question, fields.similar_questions)
    valid_from = _date("valid_from", fields.valid_from)
    valid_to = _date("valid_to", fields.valid_to)
    if message := rules.date_order_problem(valid_from, valid_to):
        raise invalid("valid_to", message)
    return FaqEntry(
        faq_id=faq_id,
        category=fields.category,
        question=fields.question,
        similar_questions=similar,
        answer=fields.answer,
        department=fields.department,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def check_publishable(entry: FaqEntry) -> None:
    """422 naming `answer` when the entry cannot go to review or live without one."""
    if not entry.answer.strip():
        raise invalid("answer",
                      "答案为空：这条草稿还没有答案；请先填写答案并保存，才能提交审核或发布")


def _similar(question: str, items: Iterable[str]) -> tuple[str, ...]:
    seen = {rules.question_key(question): "标准问"}
    kept: list[str] = []
    for text in items:
        if not text:
            continue  # an empty input box the page left in the list
        if SIMILAR_SEPARATOR in text:
            raise invalid(
                "similar_questions",
                f"相似问含分隔符：{text!r} 里有 |；每条相似问单独填写",
            )
        if message := rules.length_problem("similar_questions", text):
            raise invalid("similar_questions", message)
        key = rules.question_key(text)
        if key in seen:
            raise invalid(
                "similar_questions",
                f"问题重复：{text!r} 与本条的{seen[key]}相同（忽略空格和标点）",
            )
        seen[key] = f"相似问 {text!r}"
        kept.append(text)
    if len(kept) > MAX_SIMILAR:
        raise invalid("similar_questions", f"相似问太多：{len(kept)} 条，上限 {MAX_SIMILAR} 条")
    return tuple(kept)


def _date(name: str, text: str | None) -> date | None:
    value, message = rules.date_problem(text or "", lenient=False)
    if message:
        raise invalid(name, message)
    return value


def question_clash(entry: FaqEntry, owners: dict[str, tuple[str, str]]) -> None:
    """422 when a question of `entry` is already another entry's (question key -> owner)."""
    for index, text in enumerate(entry.all_questions):
        owner = owners.get(rules.question_key(text))
        if owner and owner[0] != entry.faq_id:
            field = "question" if index == 0 else "similar_questions"
            raise invalid(
                field,
                f"问题重复：{text!r} 与 {owner[0]} 的 {owner[1]!r} 相同（忽略空格和标点）",
            )


def stored_problem(entry: FaqEntry) -> tuple[str, str] | None:
    """What the console's tables refuse in an entry the file importer accepted:
    (field, message), or None."""
    for name, value in (("category", entry.category), ("department", entry.department)):
        if len(value) > MAX_LABEL_CHARS:
            label = rules.FIELD_LABELS[name]
            return name, f"{label}过长：{len(value)} 字，上限 {MAX_LABEL_CHARS} 字"
    try:
        check_id(entry.faq_id)
    except ConsoleError as err:
        return "faq_id", str(err.detail)
    return None
