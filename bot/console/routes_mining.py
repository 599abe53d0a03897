"""The mining API: the latest report of the deflection log, incremental runs in the
background, and accepting a cluster as a draft entry (or into an existing entry)."""

# No `from __future__ import annotations`: FastAPI must see the Depends(...) of closure
# variables in the signatures, which postponed (string) annotations would hide.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from bot.console import audit
from bot.console.auth import User, require_permission
from bot.console.context import Console
from bot.console.errors import not_found
from bot.console.mining import MiningService
from bot.console.mining_accept import ClusterAcceptor, accepted_clusters

_ID = r"^[A-Za-z0-9_-]{1,40}$"


class AcceptCluster(BaseModel):
    # Given: add the cluster's questions to this entry instead of creating one.
    faq_id: str | None = Field(default=None, max_length=200)


def overview(console: Console, mining: MiningService, limit: int) -> dict[str, Any]:
    report = mining.latest()
    job = mining.last_job()
    body: dict[str, Any] = {"job": job.to_dict() if job else None}
    if report is None:
        return {**body, "report": None, "ran_at": None, "rows": 0, "clusters_total": 0,
                "message": "还没有分析过未解答的问题：点“重新分析”开始（定时任务 bot mine --log "
                           "的结果也会显示在这里）"}
    accepted = accepted_clusters(console.db, report)
    clusters = [{**c, "accepted": accepted.get(c.get("id"))} for c in report["clusters"]]
    return {
        **body,
        "report": {**report, "clusters": clusters[:limit]},
        "ran_at": report.get("generated_at"),
        "rows": report.get("rows", 0),
        "clusters_total": len(clusters),
        "message": "" if clusters else (
            f"上次分析的 {report.get('rows', 0)} 条问题里没有达到 "
            f"{report.get('min_size', '?')} 条的高频问题"),
    }


def mining_router(console: Console, mining: MiningService) -> APIRouter:
    router = APIRouter(prefix="/api/console", tags=["console"])
    reader = require_permission("unanswered")
    editor = require_permission("entries.edit")
    acceptor = ClusterAcceptor(console.db, console.entries)

    @router.get("/mining")
    def latest(_: Annotated[User, Depends(reader)],
               limit: int = Query(100, ge=1, le=2000)) -> dict[str, Any]:
        return overview(console, mining, limit)

    @router.post("/mining/run", status_code=202)
    def run(user: Annotated[User, Depends(reader)]) -> dict[str, Any]:
        job = mining.start(user.username)
        audit.AuditLog(console.db).record(user.username, "mining_run", f"mining-job:{job.job_id}")
        return {"job_id": job.job_id, "job": job.to_dict()}

    @router.get("/mining/run/{job_id}")
    def job(job_id: Annotated[str, Path(pattern=_ID)],
            _: Annotated[User, Depends(reader)]) -> dict[str, Any]:
        found = mining.job(job_id)
        if found is None:
            raise not_found(f"分析任务 {job_id} 不存在（服务重启后以前的任务不再保留）")
        return {"job": found.to_dict()}

    @router.post("/mining/clusters/{cluster_id}/accept", status_code=201)
    def accept(cluster_id: Annotated[str, Path(pattern=_ID)],
               user: Annotated[User, Depends(editor)], response: Response,
               body: AcceptCluster | None = None) -> dict[str, Any]:
        faq_id = (body.faq_id or "").strip() if body else ""
        done = acceptor.accept(mining.latest(), cluster_id, user.username, faq_id or None)
        if done.mode == "merged":
            response.status_code = 200
        return done.to_dict(console.entry_json(done.stored))

    return router
