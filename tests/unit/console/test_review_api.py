"""The review workflow: draft -> in_review -> published (a reviewer approves) or back to
draft (rejected with a comment); retire. Approving and retiring queue a publish job."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.console.console_helpers import NEW, ConsoleRig, error_of


def _draft(editor: TestClient) -> str:
    return str(editor.post("/api/console/entries", json=NEW).json()["entry"]["faq_id"])


def _in_review(editor: TestClient) -> str:
    faq_id = _draft(editor)
    assert editor.post(f"/api/console/entries/{faq_id}/submit").status_code == 200
    return faq_id


def test_submit_puts_a_draft_in_review(editor: TestClient) -> None:
    faq_id = _draft(editor)
    r = editor.post(f"/api/console/entries/{faq_id}/submit")
    assert r.status_code == 200
    assert (r.json()["entry"]["status"], r.json()["entry"]["revision"]) == ("in_review", 2)


def test_submit_twice_is_409(editor: TestClient) -> None:
    faq_id = _in_review(editor)
    r = editor.post(f"/api/console/entries/{faq_id}/submit")
    assert r.status_code == 409
    assert "待审核" in error_of(r)["message"]


def test_submit_with_a_stale_revision_is_409(editor: TestClient) -> None:
    faq_id = _draft(editor)
    r = editor.post(f"/api/console/entries/{faq_id}/submit", json={"revision": 7})
    assert r.status_code == 409


def test_an_editor_cannot_approve(editor: TestClient) -> None:
    faq_id = _in_review(editor)
    r = editor.post(f"/api/console/entries/{faq_id}/approve")
    assert r.status_code == 403
    assert error_of(r)["code"] == "forbidden"
    assert editor.get(f"/api/console/entries/{faq_id}").json()["entry"]["status"] == "in_review"


def test_a_manager_cannot_edit_or_review(manager: TestClient, editor: TestClient) -> None:
    faq_id = _in_review(editor)
    assert manager.post(f"/api/console/entries/{faq_id}/approve").status_code == 403
    assert manager.post(f"/api/console/entries/{faq_id}/submit").status_code == 403
    assert manager.put(f"/api/console/entries/{faq_id}",
                       json={**NEW, "revision": 2}).status_code == 403


def test_no_cookie_cannot_approve(anonymous: TestClient, editor: TestClient) -> None:
    faq_id = _in_review(editor)
    r = anonymous.post(f"/api/console/entries/{faq_id}/approve")
    assert r.status_code == 401
    assert error_of(r)["code"] == "not_signed_in"


def test_a_reviewer_approves_and_a_publish_job_is_queued(
    rig: ConsoleRig, editor: TestClient, reviewer: TestClient
) -> None:
    faq_id = _in_review(editor)
    r = reviewer.post(f"/api/console/entries/{faq_id}/approve", json={"comment": "可以"})
    assert r.status_code == 200
    body = r.json()
    assert body["entry"]["status"] == "published"
    assert body["entry"]["review_comment"] == "可以"
    assert body["entry"]["serving"] is False  # not built yet
    job = reviewer.get(f"/api/console/publish/{body['job_id']}").json()
    assert job["state"] == "queued"
    assert rig.console.entries.query.published_kb().get(faq_id) is not None


def test_approving_a_draft_that_was_not_submitted_is_409(
    editor: TestClient, reviewer: TestClient
) -> None:
    faq_id = _draft(editor)
    assert reviewer.post(f"/api/console/entries/{faq_id}/approve").status_code == 409


def test_reject_sends_it_back_to_draft_with_the_comment(
    editor: TestClient, reviewer: TestClient
) -> None:
    faq_id = _in_review(editor)
    r = reviewer.post(f"/api/console/entries/{faq_id}/reject", json={"comment": "答案缺少地址"})
    assert r.status_code == 200
    assert (r.json()["entry"]["status"], r.json()["entry"]["review_comment"]) == (
        "draft", "答案缺少地址")
    history = editor.get(f"/api/console/entries/{faq_id}").json()["history"]
    assert [h["action"] for h in history] == ["rejected", "submitted", "created"]
    assert history[0]["comment"] == "答案缺少地址"


def test_reject_without_a_comment_is_422(editor: TestClient, reviewer: TestClient) -> None:
    faq_id = _in_review(editor)
    r = reviewer.post(f"/api/console/entries/{faq_id}/reject", json={"comment": " "})
    assert r.status_code == 422
    assert error_of(r)["field"] == "comment"


def test_an_editor_cannot_reject_or_retire(editor: TestClient) -> None:
    faq_id = _in_review(editor)
    assert editor.post(f"/api/console/entries/{faq_id}/reject",
                       json={"comment": "x"}).status_code == 403
    assert editor.post("/api/console/entries/SB001/retire").status_code == 403


def test_retire_takes_the_entry_out_of_the_published_kb_and_queues_a_job(
    rig: ConsoleRig, reviewer: TestClient
) -> None:
    r = reviewer.post("/api/console/entries/SB001/retire", json={"comment": "政策取消"})
    assert r.status_code == 200
    assert r.json()["entry"]["status"] == "retired"
    assert isinstance(r.json()["job_id"], int)
    assert "SB001" not in rig.console.entries.query.published_kb()


def test_retire_twice_is_409(reviewer: TestClient) -> None:
    reviewer.post("/api/console/entries/SB001/retire")
    assert reviewer.post("/api/console/entries/SB001/retire").status_code == 409


def test_review_of_an_unknown_entry_is_404(reviewer: TestClient) -> None:
    assert reviewer.post("/api/console/entries/NOPE/approve").status_code == 404


def test_a_resubmission_clears_the_review_comment(
    editor: TestClient, reviewer: TestClient
) -> None:
    faq_id = _in_review(editor)
    reviewer.post(f"/api/console/entries/{faq_id}/reject", json={"comment": "改一下"})
    r = editor.post(f"/api/console/entries/{faq_id}/submit")
    assert r.json()["entry"]["review_comment"] is None
