"""Unanswered questions, and turning one into a similar question or a new entry."""

# No `from __future__ import annotations`: FastAPI must see the Depends(...) of closure
# variables in the signatures, which postponed (string) annotations would hide.
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bot.console import matching
from bot.console.auth import User, require_permission
from bot.console.context import Console
from bot.console.errors import invalid, not_found
from bot.console.fields import EntryFields, to_entry
from bot.console.records import entry_json
from bot.console.schemas import AddSimilar, NewEntry
from bot.kb import rules

METHODS = ("clusters", "nearest_entry")


def _day(value: str | None, name: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as err:
        raise invalid(name, f"日期格式错误：{value!r}，应为 YYYY-MM-DD") from err
    # `until` names the last day included.
    return datetime.combine(day + timedelta(days=1) if end else day, time())


def unanswered_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/api/console", tags=["console"])
    reader = require_permission("unanswered")
    editor = require_permission("entries.edit")

    @router.get("/unanswered")
    def unanswered(
        _: Annotated[User, Depends(reader)],
        since: str | None = Query(None, max_length=10),
        until: str | None = Query(None, max_length=10),
        limit: int = Query(50, ge=1, le=500),
        method: str | None = Query(None, max_length=20),
    ) -> dict[str, Any]:
        if method is not None and method not in METHODS:
            raise invalid("method", f"分组方式 {method!r} 不存在；可用：{', '.join(METHODS)}")
        return console.unanswered.groups(
            _day(since, "since"), _day(until, "until", end=True), limit, method)

    @router.post("/unanswered/add-similar")
    def add_similar(body: AddSimilar, user: Annotated[User, Depends(editor)]
                    ) -> dict[str, Any]:
        text = body.text.strip()
        if not text:
            raise invalid("text", "要添加的相似问为空")
        stored = console.entries.query.get(body.faq_id)
        if stored is None:
            raise not_found(f"条目 {body.faq_id} 不存在")
        current = entry_json(stored.entry)
        current["similar_questions"] = [*current["similar_questions"], text]
        entry = to_entry(stored.entry.faq_id, EntryFields.of(current))
        updated = console.entries.update(entry, stored.revision, user.username,
                                         "similar_added")
        return {"entry": console.entry_json(updated)}

    @router.post("/unanswered/new-entry")
    def new_entry(body: NewEntry, _: Annotated[User, Depends(editor)]) -> dict[str, Any]:
        text = body.text.strip()
        if not text:
            raise invalid("text", "问题为空")
        if message := rules.length_problem("question", text):
            raise invalid("text", message)
        matcher = matching.serving_matcher(console.engine)
        ranked = matching.rank(matcher, text, None)
        nearest = ranked[0] if ranked else None
        return {"prefill": {
            "faq_id": None,
            "category": nearest.category if nearest else "",
            "question": text,
            "similar_questions": [],
            "answer": "",
            "department": nearest.department if nearest else "",
            "valid_from": None,
            "valid_to": None,
        }, "nearest": None if nearest is None else {
            "faq_id": nearest.faq_id, "question": nearest.question, "score": nearest.score,
        }}

    return router
