"""The entries API: list and read (any console role), edit (editors), review (reviewers)."""

# No `from __future__ import annotations`: FastAPI must see the Depends(...) of closure
# variables in the signatures, which postponed (string) annotations would hide.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bot.console.auth import User, require_permission
from bot.console.context import Console
from bot.console.entry_query import MAX_PAGE_SIZE, EntryFilter
from bot.console.errors import invalid, not_found
from bot.console.fields import EntryFields, check_id, to_entry
from bot.console.records import STATUSES, StoredEntry
from bot.console.schemas import EntryBody, EntryUpdate, Review
from bot.kb.model import FaqEntry


def draft_entry(body: EntryBody, faq_id: str | None) -> FaqEntry:
    """The body as a checked FaqEntry ("" as id: one is assigned on create)."""
    return to_entry(check_id(faq_id) if faq_id else "", EntryFields.of(body.fields_dict()))


def entries_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/api/console", tags=["console"])
    store = console.entries
    reader = require_permission("entries.read")
    editor = require_permission("entries.edit")
    reviewer = require_permission("entries.review")

    def existing(faq_id: str) -> StoredEntry:
        stored = store.query.get(faq_id)
        if stored is None:
            raise not_found(f"条目 {faq_id} 不存在")
        return stored

    def published(stored: StoredEntry, job_id: int) -> dict[str, Any]:
        console.publisher.wake()
        return {"entry": console.entry_json(stored), "job_id": job_id}

    @router.get("/entries")
    def list_entries(
        _: Annotated[User, Depends(reader)],
        q: str = Query("", max_length=200),
        category: str = Query("", max_length=200),
        department: str = Query("", max_length=200),
        status: str = Query("", max_length=20),
        expiring_days: int | None = Query(None, ge=0, le=3650),
        page: int = Query(1, ge=1, le=100_000),
        page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
    ) -> dict[str, Any]:
        if status and status not in STATUSES:
            raise invalid("status", f"状态 {status!r} 不存在；可用：{', '.join(STATUSES)}")
        found = store.query.search(EntryFilter(
            q.strip(), category, department, status, expiring_days, page, page_size))
        served = console.served()
        return {**found, "items": [console.entry_json(s, served) for s in found["items"]]}

    @router.get("/entries/{faq_id}")
    def get_entry(faq_id: str, _: Annotated[User, Depends(reader)]) -> dict[str, Any]:
        stored = existing(faq_id)
        return {"entry": console.entry_json(stored), "history": store.query.history(faq_id)}

    @router.post("/entries", status_code=201)
    def create_entry(body: EntryBody, user: Annotated[User, Depends(editor)]
                     ) -> dict[str, Any]:
        stored = store.create(draft_entry(body, body.faq_id), user.username)
        return {"entry": console.entry_json(stored)}

    @router.put("/entries/{faq_id}")
    def update_entry(faq_id: str, body: EntryUpdate, user: Annotated[User, Depends(editor)]
                     ) -> dict[str, Any]:
        if body.faq_id and body.faq_id != faq_id:
            raise invalid("faq_id", f"编号不能修改（{faq_id} → {body.faq_id}）；请新建条目")
        existing(faq_id)
        stored = store.update(draft_entry(body, faq_id), body.revision, user.username)
        return {"entry": console.entry_json(stored)}

    @router.post("/entries/{faq_id}/submit")
    def submit(faq_id: str, user: Annotated[User, Depends(editor)],
               body: Review | None = None) -> dict[str, Any]:
        stored = store.submit(faq_id, user.username, body.revision if body else None)
        return {"entry": console.entry_json(stored)}

    @router.post("/entries/{faq_id}/approve")
    def approve(faq_id: str, user: Annotated[User, Depends(reviewer)],
                body: Review | None = None) -> dict[str, Any]:
        body = body or Review()
        stored, job = store.approve(faq_id, user.username, body.comment, body.revision)
        return published(stored, job)

    @router.post("/entries/{faq_id}/reject")
    def reject(faq_id: str, body: Review, user: Annotated[User, Depends(reviewer)]
               ) -> dict[str, Any]:
        stored = store.reject(faq_id, user.username, body.comment or "", body.revision)
        return {"entry": console.entry_json(stored)}

    @router.post("/entries/{faq_id}/retire")
    def retire(faq_id: str, user: Annotated[User, Depends(reviewer)],
               body: Review | None = None) -> dict[str, Any]:
        body = body or Review()
        stored, job = store.retire(faq_id, user.username, body.comment, body.revision)
        return published(stored, job)

    return router
