"""Changing the console's knowledge base: drafts, review, publishing and retiring.

Every change bumps the entry's revision, stores the full content as a kb_revisions row and
writes an audit row, in one transaction. `published_revision` moves only on approve and
retire, so what citizens are answered from changes only after a reviewer's decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection

from bot.console import audit
from bot.console.db import ConsoleDb
from bot.console.entry_query import EntryQuery
from bot.console.errors import conflict, invalid, not_found
from bot.console.fields import check_publishable, question_clash
from bot.console.jobs import JobStore
from bot.console.records import (
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    RETIRED,
    StoredEntry,
    content_json,
    entry_columns,
    stored_entry,
)
from bot.kb.model import FaqEntry, KnowledgeBase
from bot.store.schema import kb_entries, kb_revisions

_AUTO_ID = re.compile(r"^FAQ-(\d+)$")
_PG_SEED_LOCK = 12345_0005  # any constant: serialises seeding by several replicas
STATUS_LABELS = {DRAFT: "草稿", IN_REVIEW: "待审核", PUBLISHED: "已发布", RETIRED: "已下线"}
MAX_COMMENT = 2000

KEEP, SET, CLEAR = "keep", "set", "clear"  # what a change does to published_revision


@dataclass(frozen=True)
class Change:
    """One workflow step: which states it starts from, where it goes."""

    action: str
    allowed_from: tuple[str, ...]
    to: str
    published: str = KEEP


CREATE = Change("created", (), DRAFT)
UPDATE = Change("updated", (DRAFT, IN_REVIEW, PUBLISHED, RETIRED), DRAFT)
SUBMIT = Change("submitted", (DRAFT,), IN_REVIEW)
APPROVE = Change("approved", (IN_REVIEW,), PUBLISHED, SET)
REJECT = Change("rejected", (IN_REVIEW,), DRAFT)
RETIRE = Change("retired", (DRAFT, IN_REVIEW, PUBLISHED), RETIRED, CLEAR)


def _audit_view(stored: StoredEntry | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    view = stored.to_dict(serving=False)
    view.pop("serving")
    return view


class EntryStore:
    def __init__(self, db: ConsoleDb, jobs: JobStore | None = None) -> None:
        self.db = db
        self.query = EntryQuery(db)
        self.jobs = jobs or JobStore(db)

    # -- seeding -----------------------------------------------------------------------

    def seed(self, kb: KnowledgeBase) -> int:
        """Insert `kb` as published entries if the console has none yet; return how many."""

        def work(conn: Connection) -> int:
            if self.db.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SEED_LOCK})
            if conn.execute(select(kb_entries.c.faq_id).limit(1)).first() is not None:
                return 0
            now = self.db.now()
            conn.execute(insert(kb_entries), [
                {"faq_id": e.faq_id, **entry_columns(e), "status": PUBLISHED, "revision": 1,
                 "published_revision": 1, "updated_at": now, "updated_by": "system",
                 "review_comment": None}
                for e in kb
            ])
            conn.execute(insert(kb_revisions), [
                {"faq_id": e.faq_id, "revision": 1, "action": "seeded", "status": PUBLISHED,
                 "content": content_json(e), "at": now, "by": "system", "comment": None}
                for e in kb
            ])
            audit.record(conn, self.db, "system", "seed", "kb", after={"entries": len(kb)})
            return len(kb)

        return self.db.write(work) if len(kb) else 0

    # -- changes -----------------------------------------------------------------------

    def create(self, entry: FaqEntry, by: str, action: str = "created",
               conn: Connection | None = None) -> StoredEntry:
        def work(conn: Connection) -> StoredEntry:
            faq_id = entry.faq_id or _next_id(conn)
            fresh = FaqEntry(**{**entry.__dict__, "faq_id": faq_id})
            if _row(conn, faq_id) is not None:
                raise conflict(f"编号 {faq_id} 已被使用；换一个编号，或编辑已有的条目")
            question_clash(fresh, self.query.question_owners(conn))
            now = self.db.now()
            conn.execute(insert(kb_entries).values(
                faq_id=faq_id, **entry_columns(fresh), status=DRAFT, revision=1,
                published_revision=None, updated_at=now, updated_by=by, review_comment=None,
            ))
            after = stored_entry(_row(conn, faq_id))
            _revision(conn, self.db, after, action, None)
            audit.record(conn, self.db, by, "entry_" + action, f"entry:{faq_id}",
                         None, _audit_view(after))
            return after

        return work(conn) if conn is not None else self.db.write(work)

    def update(self, entry: FaqEntry, revision: int, by: str, action: str = "updated",
               conn: Connection | None = None) -> StoredEntry:
        return self._apply(entry.faq_id, UPDATE, by, revision=revision, entry=entry,
                           action=action, conn=conn)

    def submit(self, faq_id: str, by: str, revision: int | None = None,
               conn: Connection | None = None) -> StoredEntry:
        return self._apply(faq_id, SUBMIT, by, revision=revision, conn=conn)

    def approve(self, faq_id: str, by: str, comment: str | None = None,
                revision: int | None = None) -> tuple[StoredEntry, int]:
        """The approved entry and the publish job queued with it."""
        return self._publishing(faq_id, APPROVE, by, revision, comment)

    def reject(self, faq_id: str, by: str, comment: str,
               revision: int | None = None) -> StoredEntry:
        if not comment.strip():
            raise invalid("comment", "驳回意见为空：写明需要修改的地方")
        return self._apply(faq_id, REJECT, by, revision=revision, comment=comment)

    def retire(self, faq_id: str, by: str, comment: str | None = None,
               revision: int | None = None) -> tuple[StoredEntry, int]:
        """The retired entry and the publish job queued with it."""
        return self._publishing(faq_id, RETIRE, by, revision, comment)

    def _publishing(self, faq_id: str, change: Change, by: str, revision: int | None,
                    comment: str | None) -> tuple[StoredEntry, int]:
        jobs: list[int] = []
        reason = f"{_VERBS[change.action]} {faq_id}"
        stored = self._apply(
            faq_id, change, by, revision=revision, comment=comment,
            then=lambda conn: jobs.append(self.jobs.enqueue(conn, by, reason)),
        )
        return stored, jobs[-1]  # a retried transaction appends again

    def _apply(
        self,
        faq_id: str,
        change: Change,
        by: str,
        *,
        revision: int | None = None,
        entry: FaqEntry | None = None,
        comment: str | None = None,
        action: str | None = None,
        then: Callable[[Connection], None] | None = None,
        conn: Connection | None = None,
    ) -> StoredEntry:
        comment = (comment or "").strip()[:MAX_COMMENT] or None

        def work(conn: Connection) -> StoredEntry:
            row = _row(conn, faq_id)
            if row is None:
                raise not_found(f"条目 {faq_id} 不存在")
            before = stored_entry(row)
            if revision is not None and revision != before.revision:
                raise conflict(
                    f"条目 {faq_id} 已被 {before.updated_by} 修改（当前版本 {before.revision}，"
                    f"您编辑的是 {revision}）；请刷新后重新修改"
                )
            if before.status not in change.allowed_from:
                state = STATUS_LABELS[before.status]
                raise conflict(f"条目 {faq_id} 当前是“{state}”，不能{_VERBS[change.action]}")
            if change in (SUBMIT, APPROVE):
                check_publishable(before.entry)  # a draft may lack its answer; review may not
            values: dict[str, Any] = {
                "status": change.to,
                "revision": before.revision + 1,
                "updated_at": self.db.now(),
                "updated_by": by,
            }
            if entry is not None:
                question_clash(entry, self.query.question_owners(conn))
                values.update(entry_columns(entry))
            if change.action in ("approved", "rejected"):
                values["review_comment"] = comment
            elif change is SUBMIT:
                values["review_comment"] = None
            if change.published == SET:
                values["published_revision"] = before.revision + 1
            elif change.published == CLEAR:
                values["published_revision"] = None
            conn.execute(update(kb_entries).where(kb_entries.c.faq_id == faq_id).values(**values))
            after = stored_entry(_row(conn, faq_id))
            done = action or change.action
            _revision(conn, self.db, after, done, comment)
            audit.record(conn, self.db, by, "entry_" + done, f"entry:{faq_id}",
                         _audit_view(before), _audit_view(after))
            if then is not None:
                then(conn)  # e.g. queue the publish job in the same transaction
            return after

        return work(conn) if conn is not None else self.db.write(work)


_VERBS = {
    "updated": "修改", "submitted": "提交审核", "approved": "审核通过",
    "rejected": "驳回", "retired": "下线",
}


def _row(conn: Connection, faq_id: str) -> Any:
    return conn.execute(select(kb_entries).where(kb_entries.c.faq_id == faq_id)).one_or_none()


def _revision(conn: Connection, db: ConsoleDb, stored: StoredEntry, action: str,
              comment: str | None) -> None:
    conn.execute(insert(kb_revisions).values(
        faq_id=stored.entry.faq_id, revision=stored.revision, action=action,
        status=stored.status, content=content_json(stored.entry), at=db.now(),
        by=stored.updated_by, comment=comment,
    ))


def _next_id(conn: Connection) -> str:
    """FAQ-0001, FAQ-0002, ...: one more than the highest automatic id so far."""
    ids = conn.execute(
        select(kb_entries.c.faq_id).where(kb_entries.c.faq_id.startswith("FAQ-"))
    ).scalars()
    numbers = [int(m.group(1)) for i in ids if (m := _AUTO_ID.match(i))]
    return f"FAQ-{max(numbers, default=0) + 1:04d}"
