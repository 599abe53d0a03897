"""Publishing: one background thread builds a new index version from the published entries
and moves CURRENT; the serving FaqService swaps it in (reload_if_changed) without a restart.

Thresholds: a console build reuses the serving version's calibrated thresholds
(build_version does so when given neither thresholds nor calibration queries) instead of
recalibrating on the bundled calibration queries whose entries still exist. Recalibrating
embeds ~400 queries on every publish (about 12 s with e5 on 2 cores, against "live within
seconds"), and as entries are edited or retired the surviving labelled subset shrinks and
drifts from the live KB, so its thresholds get noisier, not better; one edited entry barely
moves the score distribution the install-time calibration measured. `bot build index
--force` recalibrates on purpose.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from bot.console.entry_query import EntryQuery
from bot.console.jobs import Job, JobStore
from bot.embed.base import Embedder
from bot.engine.builder import build_version
from bot.errors import BotError
from bot.index.versions import IndexStore
from bot.settings import Settings

log = logging.getLogger(__name__)

SOURCE = "console"  # manifest "source" of a version published here (see build_cmd's check)
POLL_S = 2.0  # also picks up jobs queued by another gateway replica


class ConsoleIndexStore(IndexStore):
    """An IndexStore whose published manifests also say who published from the console."""

    def __init__(self, root: Path, extra: dict[str, Any]) -> None:
        super().__init__(root)
        self.extra = extra

    def publish(self, staging: Path, name: str, manifest: dict[str, Any]) -> Path:
        return super().publish(staging, name, {**manifest, **self.extra})


class Publisher:
    def __init__(
        self,
        settings: Settings,
        jobs: JobStore,
        entries: EntryQuery,
        engine: Any,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.entries = entries
        self.engine = engine  # the gateway's FaqService: reloaded after a publish
        self.embedder = embedder or getattr(engine, "embedder", None)
        self.index = IndexStore(settings.index_dir)
        # Held for a build and for a rollback, so the two never move CURRENT at once here.
        self.lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the worker --------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self.jobs.fail_stale()
        self._thread = threading.Thread(target=self._loop, name="console-publish", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                while self.run_pending():
                    pass
            except Exception:  # the worker must survive a database hiccup
                log.exception("console publish worker: could not run the queued jobs")

    def run_pending(self) -> bool:
        """Run one build for every job queued now; return whether there was any."""
        claimed = self.jobs.claim()
        if not claimed:
            return False
        ids = [j.job_id for j in claimed]
        try:
            version = self._build(claimed)
        except Exception as err:
            message = _failure(err)
            log.warning("publish jobs %s failed: %s", ids, message)
            self.jobs.finish(ids, None, message)
        else:
            log.info("publish jobs %s done: version %s", ids, version)
            self.jobs.finish(ids, version, None)
        return True

    def _build(self, jobs: list[Job]) -> str:
        if self.embedder is None:
            raise BotError("没有可用的向量模型（FAQ 引擎未加载），无法构建索引")
        kb = self.entries.published_kb()
        latest = jobs[-1]
        extra = {
            "source": SOURCE,
            "published_by": latest.requested_by,
            "job_ids": [j.job_id for j in jobs],
        }
        note = "；".join(dict.fromkeys(j.reason for j in jobs))[:500]
        with self.lock:
            path = build_version(
                kb,
                self.embedder,
                ConsoleIndexStore(self.index.root, extra),
                tokenizer=getattr(self.engine, "tokenizer", None),
                exact_max=self.settings.exact_search_max_vectors,
                answer_weight=self.settings.answer_weight,
                lexical_weight=self.settings.lexical_weight,
                note=note,
            )
            self.reload_engine()
        return path.name

    def reload_engine(self) -> None:
        reload = getattr(self.engine, "reload_if_changed", None)
        if reload is not None:
            reload(force=True)


def _failure(err: Exception) -> str:
    detail = str(err) if isinstance(err, BotError) else f"{type(err).__name__}: {err}"
    return f"构建失败，原来的版本继续服务：{detail}"
