"""Mining the deflection log from the console: the latest report, and incremental runs an
editor starts in the background.

A run is `bot mine --log` in a thread: the same rows (bot.mining.sources.read_log_rows),
the same saved model and embedding cache, so a console run and a scheduled one continue
each other's work. One run at a time in this process (a second request is 409); the model
folder's lock (bot/mining/lock.py) serialises it with a scheduled run or another gateway
replica, and the job then says it is waiting. Jobs live in memory: a restart forgets them,
not the model or the report.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.console.db import Clock
from bot.console.errors import conflict
from bot.errors import BotError
from bot.settings import Settings

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
READING, WAITING, MINING = "reading", "waiting", "mining"
KEEP_JOBS = 20
PHASE_LABELS = {READING: "正在读取对话记录", WAITING: "等待另一个分析任务结束",
                MINING: "正在聚类和比对知识库"}


@dataclass
class MiningJob:
    job_id: str
    requested_by: str
    requested_at: datetime
    state: str = QUEUED
    phase: str = ""
    message: str = "排队中"
    rows: int | None = None  # unanswered questions read from the log
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
    _started: float = field(default=0.0, repr=False)

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat(timespec="seconds") if t else None

        running = self.state == RUNNING and self._started
        return {
            "job_id": self.job_id, "state": self.state, "phase": self.phase,
            "message": self.message, "rows": self.rows, "error": self.error,
            "result": self.result, "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at), "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "elapsed_s": round(time.monotonic() - self._started, 1) if running else None,
        }


def _summary(report: Any) -> dict[str, Any]:
    meta = report.meta
    model = meta.get("model", {})
    return {
        "rows": meta["rows"], "rows_this_run": meta["rows_this_run"],
        "clusters_reported": meta["clusters_reported"], "clusters_total": meta["clusters_total"],
        "rebuilt": bool(model.get("rebuilt")), "new_rows": model.get("new_rows", 0),
        "joined": model.get("joined", 0), "new_clusters": model.get("new_clusters", 0),
        "seconds": meta["timing_s"]["total"],
    }


class MiningService:
    def __init__(self, settings: Settings, db: Any, engine: Any, clock: Clock = datetime.now,
                 options: Any | None = None) -> None:
        self.settings = settings
        self.db = db  # ConsoleDb: read_log_rows reads through its `read`
        self.engine = engine
        self.clock = clock
        self.folder: Path = settings.data_dir / "mining"
        # MineOptions; None: follow the saved model's clustering (what a scheduled run set),
        # else the defaults, so the two never rebuild each other's model.
        self.options = options
        self._jobs: dict[str, MiningJob] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._embedder: Any = None
        # text -> words for the keywords; None: the engine's tokenizer, loaded on first run.
        self.tokens: Any = None

    # -- the latest report -------------------------------------------------------------

    def latest(self) -> dict[str, Any] | None:
        from bot.mining.latest import load_latest

        return load_latest(self.folder)

    # -- runs --------------------------------------------------------------------------

    def start(self, by: str) -> MiningJob:
        with self._lock:
            running = next((j for j in self._jobs.values() if j.state in (QUEUED, RUNNING)),
                           None)
            if running is not None:
                raise conflict(
                    f"分析任务 {running.job_id} 正在运行（{running.requested_by} 发起）；"
                    "等它结束后再重新分析"
                )
            job = MiningJob(uuid.uuid4().hex[:12], by, self.clock().replace(microsecond=0))
            self._jobs[job.job_id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.pop(next(iter(self._jobs)))
            self._thread = threading.Thread(target=self._run, args=(job,), daemon=True,
                                            name=f"console-mining-{job.job_id}")
            self._thread.start()
        return job

    def job(self, job_id: str) -> MiningJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def last_job(self) -> MiningJob | None:
        with self._lock:
            return next(reversed(self._jobs.values()), None) if self._jobs else None

    def join(self, timeout_s: float = 30.0) -> None:
        """Wait for the running job's thread (tests; shutting down)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _finish(self, job: MiningJob, state: str, message: str,
                error: str | None = None) -> None:
        # The state last: a poll that sees it finished sees its message too.
        job.message, job.error, job.phase = message, error, ""
        job.finished_at = self.clock().replace(microsecond=0)
        job.state = state

    def _run(self, job: MiningJob) -> None:
        job.state, job.started_at, job._started = RUNNING, self.clock(), time.monotonic()
        job.started_at = job.started_at.replace(microsecond=0)
        try:
            self._mine(job)
        except BotError as err:
            log.warning("console mining job %s failed: %s", job.job_id, err)
            self._finish(job, FAILED, "分析失败", str(err))
        except Exception as err:  # noqa: BLE001 - a background job reports, never dies silently
            log.exception("console mining job %s failed", job.job_id)
            self._finish(job, FAILED, "分析失败", f"内部错误：{type(err).__name__}: {err}")

    def _mine(self, job: MiningJob) -> None:
        from bot.mining.lock import holder
        from bot.mining.pipeline import mine
        from bot.mining.sources import read_log_rows

        job.phase, job.message = READING, PHASE_LABELS[READING]
        rows, summary = read_log_rows(self.db)
        job.rows = len(rows)
        options = self._options()
        if not rows:
            self._finish(job, DONE, "对话记录里还没有未解答的问题（转人工、放弃或答案没帮助的"
                         "提问），没有可分析的内容；分析结果保持不变")
            return
        if len(rows) < options.min_size:
            self._finish(job, DONE, f"对话记录里只有 {len(rows)} 条未解答的问题，至少 "
                         f"{options.min_size} 条才能聚出高频问题；分析结果保持不变")
            return
        other = holder(self.folder)
        if other is not None:
            job.phase = WAITING
            job.message = (f"{PHASE_LABELS[WAITING]}（进程 {other.get('pid', '?')}，"
                           f"{other.get('since', '?')} 开始，可能是定时任务）")
        else:
            job.phase, job.message = MINING, f"{PHASE_LABELS[MINING]}：{len(rows)} 条问题"
        embedder, tokens = self._tools()
        report = mine(rows, embedder, service=self.engine, tokens=tokens,
                      model_dir=self.folder, summaries=[summary], options=options)
        job.result = _summary(report)
        how = ("全部重算" if job.result["rebuilt"] else
               f"新增 {job.result['new_rows']} 条，其中 {job.result['joined']} 条归入已有的类，"
               f"新成 {job.result['new_clusters']} 个类")
        self._finish(job, DONE, f"分析完成：共 {job.result['rows']} 条问题（{how}），"
                     f"{job.result['clusters_reported']} 个高频问题")

    def _options(self) -> Any:
        from bot.mining.pipeline import MineOptions

        if self.options is not None:
            return self.options
        clustering = (self.latest() or {}).get("clustering") or {}
        try:
            return MineOptions(threshold=float(clustering["threshold"]),
                               method=str(clustering["method"]))
        except (KeyError, TypeError, ValueError):
            return MineOptions()

    def _tools(self) -> tuple[Any, Any]:
        """The engine's embedder behind the CLI's vector cache, and keyword tokens."""
        if self._embedder is None:
            from bot.mining.vectorcache import CachedEmbedder

            self._embedder = CachedEmbedder(self.engine.embedder,
                                            self.settings.build_dir / "cache" / "mining")
        if self.tokens is None:
            tokenizer = getattr(self.engine, "tokenizer", None)
            if tokenizer is None:  # as `bot mine` does without a hotline dictionary
                from bot.text.tokenize import HotlineTokenizer

                tokenizer = HotlineTokenizer(None, self.settings.build_dir / "cache" /
                                             "jieba.cache")
            self.tokens = tokenizer.tokens
        return self._embedder, self.tokens
