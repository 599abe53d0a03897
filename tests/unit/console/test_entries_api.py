"""The entries API: list, filters, read, create, edit (with stale-revision checks) and the
field rules shared with file import."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.unit.console.console_helpers import NEW, ConsoleRig, error_of


def _create(client: TestClient, **changes: Any) -> Any:
    return client.post("/api/console/entries", json={**NEW, **changes})


def test_the_bundled_kb_is_seeded_as_published_and_serving(editor: TestClient) -> None:
    r = editor.get("/api/console/entries")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 5
    assert [e["faq_id"] for e in body["items"]] == ["GJJ001", "GJJ002", "SB001", "SB002",
                                                    "SFZ001"]
    assert {e["status"] for e in body["items"]} == {"published"}
    assert all(e["serving"] for e in body["items"])
    assert body["categories"] == ["公积金", "户政", "社保"]
    assert body["departments"] == ["公安局", "公积金中心", "测试局"]


def test_search_finds_text_in_questions_similar_questions_and_answers(
    editor: TestClient,
) -> None:
    found = editor.get("/api/console/entries", params={"q": "遗失补卡"}).json()
    assert [e["faq_id"] for e in found["items"]] == ["SB001"]


def test_filters_by_category_department_and_status(editor: TestClient) -> None:
    by_cat = editor.get("/api/console/entries", params={"category": "公积金"}).json()
    assert {e["faq_id"] for e in by_cat["items"]} == {"GJJ001", "GJJ002"}
    by_dep = editor.get("/api/console/entries", params={"department": "公安局"}).json()
    assert [e["faq_id"] for e in by_dep["items"]] == ["SFZ001"]
    drafts = editor.get("/api/console/entries", params={"status": "draft"}).json()
    assert drafts["total"] == 0


def test_expiring_days_lists_entries_whose_validity_ends_soon(editor: TestClient) -> None:
    # The fake clock says 2026-06-01; SFZ001 is valid until 2026-06-20.
    soon = editor.get("/api/console/entries", params={"expiring_days": 30}).json()
    assert [e["faq_id"] for e in soon["items"]] == ["SFZ001"]
    later = editor.get("/api/console/entries", params={"expiring_days": 10}).json()
    assert later["items"] == []


def test_paging(editor: TestClient) -> None:
    page = editor.get("/api/console/entries", params={"page": 2, "page_size": 2}).json()
    assert page["total"] == 5
    assert [e["faq_id"] for e in page["items"]] == ["SB001", "SB002"]


def test_an_unknown_status_filter_is_422(editor: TestClient) -> None:
    r = editor.get("/api/console/entries", params={"status": "gone"})
    assert r.status_code == 422
    assert error_of(r)["field"] == "status"


def test_a_manager_reads_entries(manager: TestClient) -> None:
    assert manager.get("/api/console/entries").json()["total"] == 5


def test_listing_entries_needs_a_session(anonymous: TestClient) -> None:
    r = anonymous.get("/api/console/entries")
    assert r.status_code == 401
    assert error_of(r)["code"] == "not_signed_in"


def test_get_one_entry_with_its_history(editor: TestClient) -> None:
    r = editor.get("/api/console/entries/SB001")
    assert r.status_code == 200
    assert r.json()["entry"]["question"] == "社保卡丢了怎么补办"
    assert r.json()["history"] == [
        {"revision": 1, "at": "2026-06-01T09:00:00", "by": "system", "action": "seeded",
         "status": "published", "comment": None}
    ]


def test_get_an_unknown_entry_is_404(editor: TestClient) -> None:
    r = editor.get("/api/console/entries/NOPE")
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


def test_create_makes_a_draft_with_an_assigned_id(editor: TestClient) -> None:
    r = _create(editor)
    assert r.status_code == 201
    entry = r.json()["entry"]
    assert entry["faq_id"] == "FAQ-0001"
    assert entry["status"] == "draft"
    assert entry["revision"] == 1
    assert entry["updated_by"] == "editor"
    assert entry["serving"] is False
    assert _create(editor, question="电动车牌照丢了怎么补", similar_questions=[]).json()[
        "entry"]["faq_id"] == "FAQ-0002"


def test_create_with_an_explicit_id(editor: TestClient) -> None:
    assert _create(editor, faq_id="JT001").json()["entry"]["faq_id"] == "JT001"


def test_create_with_a_taken_id_is_409(editor: TestClient) -> None:
    r = _create(editor, faq_id="SB001")
    assert r.status_code == 409
    assert error_of(r)["code"] == "conflict"


def test_a_manager_cannot_create_entries(manager: TestClient) -> None:
    r = _create(manager)
    assert r.status_code == 403
    assert error_of(r)["code"] == "forbidden"


def test_empty_question_is_422_naming_the_field(editor: TestClient) -> None:
    r = _create(editor, question="  ")
    assert r.status_code == 422
    error = error_of(r)
    assert (error["code"], error["field"], error["message"]) == (
        "invalid_request", "question", "标准问为空")


def test_an_empty_category_is_422(editor: TestClient) -> None:
    assert error_of(_create(editor, category=""))["field"] == "category"


def test_a_draft_may_be_saved_without_an_answer(editor: TestClient) -> None:
    # A mined cluster becomes a draft of questions only; the answer is written later.
    r = _create(editor, answer="")
    assert r.status_code == 201
    assert (r.json()["entry"]["answer"], r.json()["entry"]["status"]) == ("", "draft")


def test_an_over_long_answer_is_422_with_the_import_rules_message(editor: TestClient) -> None:
    r = _create(editor, answer="长" * 5001)
    assert r.status_code == 422
    assert error_of(r)["message"] == "答案过长：5001 字，上限 5000 字"


def test_a_bad_date_and_a_reversed_validity_are_422(editor: TestClient) -> None:
    bad = error_of(_create(editor, valid_from="2026/13/01"))
    assert bad["field"] == "valid_from" and bad["message"].startswith("日期格式错误")
    reversed_ = error_of(_create(editor, valid_from="2026-07-01", valid_to="2026-06-01"))
    assert reversed_["field"] == "valid_to" and reversed_["message"].startswith("日期顺序错误")


def test_a_similar_question_repeating_the_question_is_422(editor: TestClient) -> None:
    r = _create(editor, similar_questions=["电动自行车怎么上牌照？"])
    assert error_of(r)["field"] == "similar_questions"
    assert error_of(r)["message"].startswith("问题重复")


def test_a_question_another_entry_already_has_is_422(editor: TestClient) -> None:
    r = _create(editor, similar_questions=["社保卡不见了"])
    error = error_of(r)
    assert error["field"] == "similar_questions"
    assert "SB001" in error["message"]


def test_an_id_with_a_slash_is_422(editor: TestClient) -> None:
    assert error_of(_create(editor, faq_id="A/B"))["field"] == "faq_id"


def test_a_body_that_is_not_json_is_422_in_the_one_shape(editor: TestClient) -> None:
    r = editor.post("/api/console/entries", content=b"not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert error_of(r)["code"] == "invalid_request"


def test_update_a_published_entry_makes_a_draft_and_keeps_serving_the_old(
    rig: ConsoleRig, editor: TestClient
) -> None:
    current = editor.get("/api/console/entries/SB002").json()["entry"]
    r = editor.put("/api/console/entries/SB002",
                   json={**current, "answer": "新的激活说明。", "revision": current["revision"]})
    assert r.status_code == 200
    entry = r.json()["entry"]
    assert (entry["status"], entry["revision"], entry["serving"]) == ("draft", 2, False)
    assert rig.engine.entry("SB002").answer == "社保卡怎么激活的答案"  # type: ignore[union-attr]
    assert rig.console.entries.query.published_kb().get("SB002").answer == "社保卡怎么激活的答案"  # type: ignore[union-attr]


def test_update_with_a_stale_revision_is_409(editor: TestClient, reviewer: TestClient) -> None:
    current = editor.get("/api/console/entries/SB002").json()["entry"]
    first = reviewer.put("/api/console/entries/SB002",
                         json={**current, "answer": "甲。", "revision": current["revision"]})
    assert first.status_code == 200
    second = editor.put("/api/console/entries/SB002",
                        json={**current, "answer": "乙。", "revision": current["revision"]})
    assert second.status_code == 409
    assert "reviewer" in error_of(second)["message"]


def test_update_without_a_revision_is_422(editor: TestClient) -> None:
    r = editor.put("/api/console/entries/SB002", json=NEW)
    assert r.status_code == 422
    assert "revision" in error_of(r)["message"]


def test_update_cannot_change_the_id(editor: TestClient) -> None:
    r = editor.put("/api/console/entries/SB002", json={**NEW, "faq_id": "X1", "revision": 1})
    assert error_of(r)["field"] == "faq_id"


def test_update_an_unknown_entry_is_404(editor: TestClient) -> None:
    assert editor.put("/api/console/entries/NOPE", json={**NEW, "revision": 1}).status_code == 404


def test_every_change_is_in_the_audit_log_with_before_and_after(
    admin: TestClient, editor: TestClient
) -> None:
    current = editor.get("/api/console/entries/SB002").json()["entry"]
    editor.put("/api/console/entries/SB002",
               json={**current, "answer": "新答案。", "revision": current["revision"]})
    items = admin.get("/api/console/audit", params={"entity": "entry:SB002"}).json()["items"]
    assert items[0]["action"] == "entry_updated"
    assert items[0]["username"] == "editor"
    assert items[0]["before"]["answer"] == "社保卡怎么激活的答案"
    assert items[0]["after"]["answer"] == "新答案。"
