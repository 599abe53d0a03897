"""Publishing for real: the background worker builds a FAISS version with the fake
embedder, moves CURRENT, and both the gateway's FaqService and a second one (as the action
server holds) answer from it within seconds; a failed build keeps the old version."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from bot.embed.base import FakeEmbedder
from bot.engine.service import RELOAD_CHECK_S, FaqService
from bot.index.versions import IndexStore
from bot.store.sql import SqlStore
from tests.unit.console.console_helpers import NEW, ConsoleRig, build_rig

pytestmark = pytest.mark.integration

QUESTION = NEW["question"]


class FailingEmbedder(FakeEmbedder):
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("embedding model crashed")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as opened:
        yield opened


def _wait_for(client: TestClient, job_id: int, timeout: float = 20.0) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/console/publish/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"publish job {job_id} did not finish in {timeout} s: {job}")


def _approve_new_entry(rig: ConsoleRig) -> tuple[TestClient, str, int]:
    editor, reviewer = rig.signed_in("editor"), rig.signed_in("reviewer")
    faq_id = editor.post("/api/console/entries", json=NEW).json()["entry"]["faq_id"]
    editor.post(f"/api/console/entries/{faq_id}/submit")
    job = reviewer.post(f"/api/console/entries/{faq_id}/approve").json()["job_id"]
    return reviewer, faq_id, job


def test_an_approved_entry_is_answered_by_the_running_bot(tmp_path: Path, store: SqlStore
                                                          ) -> None:
    rig = build_rig(tmp_path, store, start_worker=True)
    try:
        # The action server's own FaqService over the same index folder.
        actions = FaqService(IndexStore(rig.settings.index_dir), FakeEmbedder(), None,
                             rig.settings).load()
        before = rig.engine.version
        assert actions.ask(QUESTION).top.faq_id != "FAQ-0001"  # type: ignore[union-attr]
        reviewer, faq_id, job_id = _approve_new_entry(rig)
        started = time.monotonic()
        job = _wait_for(reviewer, job_id)
        assert job["state"] == "done", job
        assert time.monotonic() - started < 10
        assert rig.engine.version == job["version"] != before
        chat = rig.client().post("/api/chat", json={"text": QUESTION}).json()
        # Rasa is off here, so the gateway's own FaqService answers (degraded mode).
        assert chat["candidates"][0]["faq_id"] == faq_id
        time.sleep(RELOAD_CHECK_S + 0.1)
        assert actions.ask(QUESTION).top.faq_id == faq_id  # type: ignore[union-attr]
        assert actions.version == job["version"]
    finally:
        rig.close()


def test_a_failed_build_leaves_the_old_version_serving(tmp_path: Path, store: SqlStore
                                                       ) -> None:
    rig = build_rig(tmp_path, store, embedder=FailingEmbedder(), start_worker=True)
    try:
        before = rig.engine.version
        reviewer, faq_id, job_id = _approve_new_entry(rig)
        job = _wait_for(reviewer, job_id)
        assert job["state"] == "failed"
        assert "embedding model crashed" in job["error"]
        assert rig.engine.version == before
        assert rig.engine.index_store.current_name() == before
        leftovers = [p.name for p in rig.settings.index_dir.iterdir()
                     if p.name.startswith(".staging")]
        assert leftovers == []
        assert rig.client().post("/api/chat", json={"text": "社保卡丢了怎么办"}).json()[
            "faq_id"] == "SB001"
        versions = reviewer.get("/api/console/versions").json()
        assert [v["name"] for v in versions["items"]] == [before]
    finally:
        rig.close()
