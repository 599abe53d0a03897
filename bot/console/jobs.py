"""Publish jobs in the database: queued by approve/retire/publish, claimed by one worker.

Claiming takes every queued job at once (one build covers them all, since it builds from
the whole published state) and only while no other job is running, so two gateway replicas
never build at the same time and an older build can never overwrite a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from bot.console.db import ConsoleDb
from bot.store.schema import publish_jobs

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# A build takes seconds; a job "running" this long belongs to a process that died.
STALE_AFTER = timedelta(minutes=30)
INTERRUPTED = "发布任务中断（服务重启或进程退出）；请重新发布"


@dataclass(frozen=True)
class Job:
    job_id: int
    state: str
    requested_by: str
    requested_at: datetime
    reason: str
    started_at: datetime | None
    finished_at: datetime | None
    version: str | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "job_id": self.job_id, "state": self.state, "version": self.version,
            "error": self.error, "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at), "reason": self.reason,
            "started_at": iso(self.started_at), "finished_at": iso(self.finished_at),
        }


def _job(row: Any) -> Job:
    return Job(int(row.id), row.state, row.requested_by, row.requested_at, row.reason,
               row.started_at, row.finished_at, row.version, row.error)


class JobStore:
    def __init__(self, db: ConsoleDb) -> None:
        self.db = db

    def enqueue(self, conn: Connection, by: str, reason: str) -> int:
        """Queue a job inside the caller's transaction (with the change that needs it)."""
        result = conn.execute(
            insert(publish_jobs)
            .values(state=QUEUED, requested_by=by, requested_at=self.db.now(),
                    reason=reason[:200])
            .returning(publish_jobs.c.id)
        )
        return int(result.scalar_one())

    def get(self, job_id: int) -> Job | None:
        row = self.db.read(
            lambda conn: conn.execute(
                select(publish_jobs).where(publish_jobs.c.id == job_id)
            ).one_or_none()
        )
        return None if row is None else _job(row)

    def claim(self) -> list[Job]:
        """Mark every queued job running and return them (oldest first); [] when there is
        nothing to do or another worker is building."""
        now = self.db.now()

        def work(conn: Connection) -> list[Job]:
            self._fail_stale(conn, now)
            running = conn.execute(
                select(publish_jobs.c.id).where(publish_jobs.c.state == RUNNING).limit(1)
            ).first()
            if running is not None:
                return []
            ids = list(conn.execute(
                select(publish_jobs.c.id).where(publish_jobs.c.state == QUEUED)
                .order_by(publish_jobs.c.id).with_for_update(skip_locked=True)
            ).scalars())
            if not ids:
                return []
            conn.execute(
                update(publish_jobs).where(publish_jobs.c.id.in_(ids))
                .values(state=RUNNING, started_at=now)
            )
            rows = conn.execute(
                select(publish_jobs).where(publish_jobs.c.id.in_(ids)).order_by(publish_jobs.c.id)
            ).all()
            return [_job(r) for r in rows]

        return self.db.write(work)

    def finish(self, ids: list[int], version: str | None, error: str | None) -> None:
        values = {
            "state": FAILED if error else DONE, "version": version,
            "error": error[:4000] if error else None, "finished_at": self.db.now(),
        }
        self.db.write(
            lambda conn: conn.execute(
                update(publish_jobs).where(publish_jobs.c.id.in_(ids)).values(**values)
            )
        )

    def fail_stale(self) -> None:
        self.db.write(lambda conn: self._fail_stale(conn, self.db.now()))

    def _fail_stale(self, conn: Connection, now: datetime) -> None:
        conn.execute(
            update(publish_jobs)
            .where(publish_jobs.c.state == RUNNING,
                   publish_jobs.c.started_at < now - STALE_AFTER)
            .values(state=FAILED, error=INTERRUPTED, finished_at=now)
        )
