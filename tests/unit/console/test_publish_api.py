"""Publishing: jobs, the build the worker runs (here called directly), versions, rollback,
and a failed build that keeps the old version serving."""

from __future__ import annotations

import json

import numpy as np
from fastapi.testclient import TestClient

from bot.console.publisher import SOURCE
from bot.embed.base import FakeEmbedder
from bot.store.sql import SqlStore
from tests.unit.console.console_helpers import NEW, ConsoleRig, build_rig, error_of


class FailingEmbedder(FakeEmbedder):
    """Same name as the fake (so the serving vectors are reused), but embedding fails."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("model file is corrupt")


def _publish_new_entry(editor: TestClient, reviewer: TestClient) -> tuple[str, int]:
    faq_id = editor.post("/api/console/entries", json=NEW).json()["entry"]["faq_id"]
    editor.post(f"/api/console/entries/{faq_id}/submit")
    job = reviewer.post(f"/api/console/entries/{faq_id}/approve").json()["job_id"]
    return faq_id, job


def test_an_approved_entry_is_served_after_the_job_runs(
    rig: ConsoleRig, editor: TestClient, reviewer: TestClient
) -> None:
    before = rig.engine.version
    faq_id, job = _publish_new_entry(editor, reviewer)
    assert rig.publish_now() is True
    status = reviewer.get(f"/api/console/publish/{job}").json()
    assert status["state"] == "done", status
    assert status["version"] == rig.engine.version != before
    assert status["started_at"] and status["finished_at"] and status["error"] is None
    assert rig.engine.ask("电动自行车怎么上牌照").top.faq_id == faq_id  # type: ignore[union-attr]
    assert editor.get(f"/api/console/entries/{faq_id}").json()["entry"]["serving"] is True


def test_the_new_version_says_it_came_from_the_console(
    rig: ConsoleRig, editor: TestClient, reviewer: TestClient
) -> None:
    _publish_new_entry(editor, reviewer)
    rig.publish_now()
    path = rig.engine.index_store.current_path()
    manifest = json.loads((path / "manifest.json").read_text("utf-8"))  # type: ignore[operator]
    assert manifest["source"] == SOURCE
    assert manifest["published_by"] == "reviewer"
    assert manifest["embedded_rows"] == 3  # only the new entry's questions were embedded
    assert manifest["thresholds"]["answer"] == 0.8  # the serving version's, reused


def test_jobs_queued_together_are_built_once(
    rig: ConsoleRig, editor: TestClient, reviewer: TestClient
) -> None:
    _, first = _publish_new_entry(editor, reviewer)
    second = reviewer.post("/api/console/entries/SB002/retire").json()["job_id"]
    assert rig.publish_now() is True
    assert rig.publish_now() is False
    one = reviewer.get(f"/api/console/publish/{first}").json()
    two = reviewer.get(f"/api/console/publish/{second}").json()
    assert one["state"] == two["state"] == "done"
    assert one["version"] == two["version"]
    assert rig.engine.entry("SB002") is None


def test_manual_publish_is_202_for_a_reviewer(rig: ConsoleRig, reviewer: TestClient) -> None:
    r = reviewer.post("/api/console/publish")
    assert r.status_code == 202
    assert reviewer.get(f"/api/console/publish/{r.json()['job_id']}").json()["state"] == "queued"


def test_an_editor_cannot_publish(editor: TestClient) -> None:
    r = editor.post("/api/console/publish")
    assert r.status_code == 403
    assert error_of(r)["code"] == "forbidden"


def test_an_unknown_job_is_404(reviewer: TestClient) -> None:
    assert error_of(reviewer.get("/api/console/publish/999"))["code"] == "not_found"


def test_a_failed_build_keeps_the_old_version_and_reports_why(
    tmp_path, store: SqlStore  # type: ignore[no-untyped-def]
) -> None:
    rig = build_rig(tmp_path, store, embedder=FailingEmbedder())
    try:
        editor, reviewer = rig.signed_in("editor"), rig.signed_in("reviewer")
        before = rig.engine.version
        _, job = _publish_new_entry(editor, reviewer)
        rig.publish_now()
        status = reviewer.get(f"/api/console/publish/{job}").json()
        assert status["state"] == "failed"
        assert "model file is corrupt" in status["error"]
        assert "原来的版本继续服务" in status["error"]
        assert rig.engine.version == before
        assert rig.engine.index_store.current_name() == before
        assert rig.engine.ask("社保卡丢了怎么办").top.faq_id == "SB001"  # type: ignore[union-attr]
    finally:
        rig.close()


def test_versions_lists_every_version_newest_first(
    rig: ConsoleRig, editor: TestClient, reviewer: TestClient
) -> None:
    install = rig.engine.version
    _publish_new_entry(editor, reviewer)
    rig.publish_now()
    body = editor.get("/api/console/versions").json()
    assert body["current"] == rig.engine.version
    assert [v["name"] for v in body["items"]] == [rig.engine.version, install]
    assert body["items"][0]["source"] == "console"
    assert body["items"][0]["published_by"] == "reviewer"
    assert body["items"][0]["entries"] == 6
    assert body["items"][1]["source"] == "install"


def test_rollback_serves_an_older_version_again(
    rig: ConsoleRig, editor: TestClient, reviewer: TestClient
) -> None:
    install = rig.engine.version
    faq_id, _ = _publish_new_entry(editor, reviewer)
    rig.publish_now()
    r = reviewer.post(f"/api/console/versions/{install}/rollback")
    assert r.status_code == 200
    assert r.json() == {"current": install}
    assert rig.engine.version == install
    assert rig.engine.entry(faq_id) is None
    assert editor.get(f"/api/console/entries/{faq_id}").json()["entry"]["serving"] is False


def test_rollback_to_an_unknown_version_is_404(reviewer: TestClient) -> None:
    r = reviewer.post("/api/console/versions/v-nope/rollback")
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


def test_an_editor_cannot_roll_back(rig: ConsoleRig, editor: TestClient) -> None:
    r = editor.post(f"/api/console/versions/{rig.engine.version}/rollback")
    assert r.status_code == 403
