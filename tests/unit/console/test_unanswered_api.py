"""Unanswered questions from the store's turns, grouped, and turning them into entries."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from bot.store.base import Channel, Outcome, TransferReason, Turn
from tests.unit.console.console_helpers import ConsoleRig, error_of

DAY = datetime(2026, 6, 1, 10, 0)


def _turn(rig: ConsoleRig, session: str, text: str, decision: str, minute: int,
          intent: str | None = "ask_question") -> None:
    rig.store.record_turn(Turn(session, Channel.CHAT, text, DAY.replace(minute=minute),
                               intent=intent, decision=decision))


def _history(rig: ConsoleRig) -> None:
    # Handed over: counted.
    _turn(rig, "s1", "护照丢了怎么补办", "handover", 1)
    _turn(rig, "s2", "护照丢了怎么补办？", "handover", 2)
    _turn(rig, "s3", "护照 丢了怎么补办！", "handover", 3)
    # Answered, but the citizen then asked for a human without saying it helped: counted.
    _turn(rig, "s4", "公积金怎么提取", "clarify", 4)
    rig.store.record_handover("s4", TransferReason.NEGATIVE_FEEDBACK, {"q": "x"})
    # Answered and confirmed: not counted.
    _turn(rig, "s5", "社保卡丢了怎么办", "answer", 5)
    rig.store.end_session("s5", Outcome.DEFLECTED, confirmed=True)
    # Asking for a human is dialog, not a question for the knowledge base: not counted.
    _turn(rig, "s6", "转人工", "handover", 6, intent="request_human")


def test_unanswered_groups_the_questions_that_were_not_resolved(
    rig: ConsoleRig, editor: TestClient
) -> None:
    _history(rig)
    r = editor.get("/api/console/unanswered")
    assert r.status_code == 200
    body = r.json()
    assert body["method"] == "clusters"
    texts = [e["text"] for g in body["groups"] for e in g["examples"]]
    assert "社保卡丢了怎么办" not in texts and "转人工" not in texts
    assert "公积金怎么提取" in texts
    top = body["groups"][0]
    assert top["count"] == 3  # the three wordings of the passport question (same key)
    assert top["label"].replace(" ", "").startswith("护照丢了怎么补办")
    assert top["examples"][0]["count"] == 3
    assert top["examples"][0]["last_seen"] == "2026-06-01T10:03:00"
    assert top["nearest_faq_id"] == "SB001"  # the nearest entry, for "add as similar"


def test_nearest_entry_grouping_on_request(rig: ConsoleRig, editor: TestClient) -> None:
    _history(rig)
    body = editor.get("/api/console/unanswered", params={"method": "nearest_entry"}).json()
    assert body["method"] == "nearest_entry"
    assert sum(g["count"] for g in body["groups"]) == 4


def test_a_date_range_limits_the_turns(rig: ConsoleRig, editor: TestClient) -> None:
    _history(rig)
    body = editor.get("/api/console/unanswered",
                      params={"since": "2026-06-02", "until": "2026-06-03"}).json()
    assert body["groups"] == []


def test_a_bad_date_is_422(editor: TestClient) -> None:
    r = editor.get("/api/console/unanswered", params={"since": "June"})
    assert r.status_code == 422
    assert error_of(r)["field"] == "since"


def test_a_manager_cannot_open_the_editors_unanswered_list(manager: TestClient) -> None:
    assert manager.get("/api/console/unanswered").status_code == 403


def test_add_similar_makes_a_draft_revision_with_the_question(
    rig: ConsoleRig, editor: TestClient
) -> None:
    r = editor.post("/api/console/unanswered/add-similar",
                    json={"faq_id": "SB001", "text": "社保卡找不到了咋办"})
    assert r.status_code == 200
    entry = r.json()["entry"]
    assert entry["similar_questions"][-1] == "社保卡找不到了咋办"
    assert (entry["status"], entry["revision"]) == ("draft", 2)
    assert rig.engine.entry("SB001").similar_questions[-1] != "社保卡找不到了咋办"  # type: ignore[union-attr]


def test_add_similar_that_repeats_a_question_is_422(editor: TestClient) -> None:
    r = editor.post("/api/console/unanswered/add-similar",
                    json={"faq_id": "SB001", "text": "社保卡不见了"})
    assert r.status_code == 422
    assert error_of(r)["message"].startswith("问题重复")


def test_add_similar_to_an_unknown_entry_is_404(editor: TestClient) -> None:
    r = editor.post("/api/console/unanswered/add-similar", json={"faq_id": "NOPE", "text": "x"})
    assert r.status_code == 404


def test_new_entry_returns_a_prefill_for_the_editor(editor: TestClient) -> None:
    r = editor.post("/api/console/unanswered/new-entry", json={"text": "社保卡能借给别人用吗"})
    assert r.status_code == 200
    prefill = r.json()["prefill"]
    assert prefill["question"] == "社保卡能借给别人用吗"
    assert prefill["answer"] == ""
    assert prefill["category"] == "社保"  # from the nearest entry
    assert r.json()["nearest"]["faq_id"] in {"SB001", "SB002"}
    assert editor.get("/api/console/entries").json()["total"] == 5  # nothing written


def test_new_entry_with_an_empty_text_is_422(editor: TestClient) -> None:
    assert error_of(editor.post("/api/console/unanswered/new-entry",
                                json={"text": " "}))["field"] == "text"


def _helped_then_human(rig: ConsoleRig) -> None:
    """身份证丢了怎么补办 -> SFZ002 -> 有帮助 -> 转人工 (as the actions and gateway write it)."""
    rig.store.record_turn(Turn("h1", Channel.CHAT, "身份证丢了怎么补办", DAY.replace(minute=10),
                               intent="ask_question", decision="answer", faq_id="SFZ002"))
    rig.store.record_feedback("h1", "SFZ002", True)
    rig.store.end_session("h1", Outcome.DEFLECTED, confirmed=True, faq_id="SFZ002")
    _turn(rig, "h1", "有帮助", "reply", 11, intent="affirm")
    rig.store.record_handover("h1", TransferReason.CITIZEN_REQUEST, {"q": "转人工"})
    _turn(rig, "h1", "转人工", "handover", 12, intent="request_human")
    # A confirmed answer, then a different question handed over: only that one counts.
    rig.store.record_turn(Turn("h2", Channel.CHAT, "居住证怎么办理", DAY.replace(minute=13),
                               intent="ask_question", decision="answer", faq_id="JZZ001"))
    rig.store.record_feedback("h2", "JZZ001", True)
    _turn(rig, "h2", "有帮助", "reply", 14, intent="affirm")
    _turn(rig, "h2", "护照丢了怎么补办", "handover", 15)
    rig.store.record_handover("h2", TransferReason.LOW_CONFIDENCE, {"q": "护照"})


@pytest.mark.parametrize("method", [None, "nearest_entry"])
def test_a_confirmed_answer_is_not_unanswered_after_a_handover(
    rig: ConsoleRig, editor: TestClient, method: str | None
) -> None:
    _helped_then_human(rig)
    params = {"method": method} if method else {}
    body = editor.get("/api/console/unanswered", params=params).json()
    texts = [e["text"] for g in body["groups"] for e in g["examples"]]
    assert "身份证丢了怎么补办" not in texts and "居住证怎么办理" not in texts
    assert texts == ["护照丢了怎么补办"]


def test_an_answer_without_confirmation_before_a_handover_still_counts(
    rig: ConsoleRig, editor: TestClient
) -> None:
    rig.store.record_turn(Turn("n1", Channel.CHAT, "公积金怎么提取", DAY.replace(minute=20),
                               intent="ask_question", decision="answer", faq_id="GJJ001"))
    rig.store.record_feedback("n1", "GJJ001", False)
    rig.store.record_handover("n1", TransferReason.NEGATIVE_FEEDBACK, {"q": "公积金"})
    body = editor.get("/api/console/unanswered").json()
    assert [e["text"] for g in body["groups"] for e in g["examples"]] == ["公积金怎么提取"]
