"""Reading the console's knowledge base: the filtered list, one entry with its history, the
published content a publish builds from, and who owns which question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from bot.console.db import ConsoleDb
from bot.console.records import RETIRED, StoredEntry, entry_from_content, stored_entry
from bot.kb import rules
from bot.kb.model import KnowledgeBase
from bot.store.schema import kb_entries, kb_revisions

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class EntryFilter:
    q: str = ""
    category: str = ""
    department: str = ""
    status: str = ""
    expiring_days: int | None = None  # valid_to within this many days (or already past)
    page: int = 1
    page_size: int = 50


def _conditions(f: EntryFilter, today: date) -> list[Any]:
    where: list[Any] = []
    if f.q:
        needle = f.q.lower()
        where.append(or_(*(
            func.lower(column).contains(needle, autoescape=True)
            for column in (kb_entries.c.faq_id, kb_entries.c.question,
                           kb_entries.c.similar_questions, kb_entries.c.answer)
        )))
    if f.category:
        where.append(kb_entries.c.category == f.category)
    if f.department:
        where.append(kb_entries.c.department == f.department)
    if f.status:
        where.append(kb_entries.c.status == f.status)
    if f.expiring_days is not None:
        where.append(and_(
            kb_entries.c.valid_to.is_not(None),
            kb_entries.c.valid_to <= today + timedelta(days=f.expiring_days),
            kb_entries.c.status != RETIRED,
        ))
    return where


class EntryQuery:
    def __init__(self, db: ConsoleDb) -> None:
        self.db = db

    def count(self) -> int:
        return self.db.read(
            lambda conn: int(conn.execute(select(func.count()).select_from(kb_entries))
                             .scalar_one())
        )

    def search(self, f: EntryFilter) -> dict[str, Any]:
        where = _conditions(f, self.db.now().date())

        def work(conn: Connection) -> dict[str, Any]:
            total = conn.execute(select(func.count()).select_from(kb_entries).where(*where))
            rows = conn.execute(
                select(kb_entries).where(*where).order_by(kb_entries.c.faq_id)
                .limit(f.page_size).offset((f.page - 1) * f.page_size)
            ).all()
            return {
                "items": [stored_entry(r) for r in rows],
                "total": int(total.scalar_one()),
                "categories": _distinct(conn, kb_entries.c.category),
                "departments": _distinct(conn, kb_entries.c.department),
            }

        return self.db.read(work)

    def search_all(self) -> list[StoredEntry]:
        """Every entry, any status, by faq_id (import previews and exports)."""
        return self.db.read(_all)

    def get(self, faq_id: str) -> StoredEntry | None:
        row = self.db.read(
            lambda conn: conn.execute(
                select(kb_entries).where(kb_entries.c.faq_id == faq_id)
            ).one_or_none()
        )
        return None if row is None else stored_entry(row)

    def history(self, faq_id: str) -> list[dict[str, Any]]:
        rows = self.db.read(
            lambda conn: conn.execute(
                select(kb_revisions.c.revision, kb_revisions.c.at, kb_revisions.c.by,
                       kb_revisions.c.action, kb_revisions.c.status, kb_revisions.c.comment)
                .where(kb_revisions.c.faq_id == faq_id)
                .order_by(kb_revisions.c.revision.desc())
            ).all()
        )
        return [
            {"revision": r.revision, "at": r.at.isoformat(), "by": r.by, "action": r.action,
             "status": r.status, "comment": r.comment}
            for r in rows
        ]

    def published_kb(self) -> KnowledgeBase:
        """The content of every entry's published revision, by faq_id."""
        rows = self.db.read(
            lambda conn: conn.execute(
                select(kb_entries.c.faq_id, kb_revisions.c.content)
                .join(kb_revisions, and_(
                    kb_revisions.c.faq_id == kb_entries.c.faq_id,
                    kb_revisions.c.revision == kb_entries.c.published_revision,
                ))
                .where(kb_entries.c.published_revision.is_not(None))
                .order_by(kb_entries.c.faq_id)
            ).all()
        )
        return KnowledgeBase.of(entry_from_content(r.faq_id, r.content) for r in rows)

    def question_owners(self, conn: Connection) -> dict[str, tuple[str, str]]:
        """question key -> (faq_id, text) over every entry that is not retired."""
        owners: dict[str, tuple[str, str]] = {}
        rows = conn.execute(
            select(kb_entries).where(kb_entries.c.status != RETIRED).order_by(kb_entries.c.faq_id)
        ).all()
        for row in rows:
            entry = stored_entry(row).entry
            for text in entry.all_questions:
                if key := rules.question_key(text):
                    owners.setdefault(key, (entry.faq_id, text))
        return owners


def _distinct(conn: Connection, column: Any) -> list[str]:
    values = conn.execute(select(column).distinct().order_by(column)).scalars()
    return [v for v in values if v]


def _all(conn: Connection) -> list[StoredEntry]:
    return [stored_entry(r) for r in conn.execute(
        select(kb_entries).order_by(kb_entries.c.faq_id)).all()]
