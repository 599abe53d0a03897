"""The audit log: who did what, when, to which entity, with the state before and after.

`record` runs inside the caller's write transaction, so a change and its audit row are
committed together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from bot.console.db import ConsoleDb, dumps, loads
from bot.store.schema import audit_log

PAGE_SIZE = 50


def record(
    conn: Connection,
    db: ConsoleDb,
    username: str,
    action: str,
    entity: str,
    before: Any = None,
    after: Any = None,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=db.now(), username=username, action=action, entity=entity[:200],
            before=dumps(before), after=dumps(after),
        )
    )


@dataclass(frozen=True)
class AuditQuery:
    username: str | None = None
    entity: str | None = None  # exact, or a prefix ending in ":" (e.g. "entry:")
    page: int = 1
    page_size: int = PAGE_SIZE


class AuditLog:
    def __init__(self, db: ConsoleDb) -> None:
        self.db = db

    def record(self, username: str, action: str, entity: str, before: Any = None,
               after: Any = None) -> None:
        self.db.write(lambda conn: record(conn, self.db, username, action, entity, before, after))

    def search(self, query: AuditQuery) -> tuple[list[dict[str, Any]], int]:
        where = []
        if query.username:
            where.append(audit_log.c.username == query.username)
        if query.entity:
            if query.entity.endswith(":"):
                where.append(audit_log.c.entity.startswith(query.entity, autoescape=True))
            else:
                where.append(audit_log.c.entity == query.entity)
        offset = (query.page - 1) * query.page_size

        def work(conn: Connection) -> tuple[list[dict[str, Any]], int]:
            total = conn.execute(select(func.count()).select_from(audit_log).where(*where))
            rows = conn.execute(
                select(audit_log).where(*where)
                .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
                .limit(query.page_size).offset(offset)
            ).all()
            return [_item(r) for r in rows], int(total.scalar_one())

        return self.db.read(work)


def _item(row: Any) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "username": row.username,
        "action": row.action,
        "entity": row.entity,
        "before": loads(row.before),
        "after": loads(row.after),
    }
