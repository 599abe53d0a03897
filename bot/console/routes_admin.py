"""Users (admin) and the audit log (admin: everything; reviewer: the entries' changes)."""

# No `from __future__ import annotations`: FastAPI must see the Depends(...) of closure
# variables in the signatures, which postponed (string) annotations would hide.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bot.console import audit
from bot.console.audit import AuditQuery
from bot.console.auth import User, current_user, require_permission
from bot.console.context import Console
from bot.console.errors import forbidden
from bot.console.schemas import UserCreate, UserPatch

ENTRY_PREFIX = "entry:"


def admin_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/api/console", tags=["console"])
    admin = require_permission("users")
    users = console.auth.users
    db = console.db

    @router.get("/users")
    def list_users(_: Annotated[User, Depends(admin)]) -> dict[str, Any]:
        return {"items": [a.to_dict() for a in users.list()]}

    @router.post("/users", status_code=201)
    def create_user(body: UserCreate, user: Annotated[User, Depends(admin)]
                    ) -> dict[str, Any]:
        account = users.create(body.username, body.role, body.password, body.display_name)
        db.write(lambda conn: audit.record(conn, db, user.username, "user_created",
                                           f"user:{account.user.username}", None,
                                           account.to_dict()))
        return {"user": account.to_dict()}

    @router.patch("/users/{username}")
    def patch_user(username: str, body: UserPatch, user: Annotated[User, Depends(admin)]
                   ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        before, after = users.update(username, changes)
        shown = {k: ("***" if k == "password" else v) for k, v in changes.items()}
        db.write(lambda conn: audit.record(conn, db, user.username, "user_updated",
                                           f"user:{username}", before.to_dict(),
                                           {**after.to_dict(), "changed": shown}))
        return {"user": after.to_dict()}

    @router.get("/audit")
    def audit_log(
        user: Annotated[User, Depends(current_user)],
        user_filter: str | None = Query(None, alias="user", max_length=64),
        entity: str | None = Query(None, max_length=200),
        page: int = Query(1, ge=1, le=100_000),
        page_size: int = Query(audit.PAGE_SIZE, ge=1, le=200),
    ) -> dict[str, Any]:
        if not user.can("audit"):
            if not user.can("audit.entries"):
                raise forbidden("查看审计日志")
            if entity and not entity.startswith(ENTRY_PREFIX):
                raise forbidden("查看条目以外的审计日志")
            entity = entity or ENTRY_PREFIX
        items, total = console.auth.audit.search(
            AuditQuery(user_filter or None, entity or None, page, page_size))
        return {"items": items, "total": total}

    return router
