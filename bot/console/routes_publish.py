"""Publishing, publish job status, index versions and rollback."""

# No `from __future__ import annotations`: FastAPI must see the Depends(...) of closure
# variables in the signatures, which postponed (string) annotations would hide.
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from bot.console import audit
from bot.console.auth import User, require_permission
from bot.console.context import Console
from bot.console.errors import not_found


def publish_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/api/console", tags=["console"])
    publisher = require_permission("publish")
    reader = require_permission("entries.read")
    db = console.db

    @router.post("/publish", status_code=202)
    def publish(user: Annotated[User, Depends(publisher)]) -> dict[str, Any]:
        def work(conn: Any) -> int:
            job = console.jobs.enqueue(conn, user.username, "手动发布")
            audit.record(conn, db, user.username, "publish", f"job:{job}")
            return job

        job_id = db.write(work)
        console.publisher.wake()
        return {"job_id": job_id}

    @router.get("/publish/{job_id}")
    def job_status(job_id: int, _: Annotated[User, Depends(reader)]) -> dict[str, Any]:
        job = console.jobs.get(job_id)
        if job is None:
            raise not_found(f"发布任务 {job_id} 不存在")
        return job.to_dict()

    @router.get("/versions")
    def versions(_: Annotated[User, Depends(reader)]) -> dict[str, Any]:
        return console.versions.list()

    @router.post("/versions/{name}/rollback")
    def rollback(name: str, user: Annotated[User, Depends(publisher)]) -> dict[str, Any]:
        return {"current": console.versions.rollback(name, user.username)}

    return router
