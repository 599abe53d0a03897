"""Rasa down: the gateway answers from the FAQ engine itself, says so, and records it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.engine.types import Decision
from bot.store.base import Outcome, TransferReason
from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import ENTRIES, FakeEngine, FakeRasa, result

ANSWERED = "身份证丢了怎么补办"
UNCLEAR = "证件丢了怎么补"
UNKNOWN = "明天天气怎么样"


@pytest.fixture(autouse=True)
def _rasa_down_and_scripted_engine(rasa: FakeRasa, engine: FakeEngine) -> None:
    rasa.down = True
    engine.script = {
        ANSWERED: result(ANSWERED, Decision.ANSWER, [("SFZ001", 0.95), ("SFZ002", 0.70)]),
        UNCLEAR: result(UNCLEAR, Decision.CLARIFY, [("SFZ001", 0.80), ("SB001", 0.78)]),
        UNKNOWN: result(UNKNOWN, Decision.HANDOVER, [("SB001", 0.30)]),
    }


def _chat(client: TestClient, text: str, sid: str) -> dict:
    response = client.post("/api/chat", json={"text": text, "session_id": sid})
    assert response.status_code == 200
    return response.json()


def test_answer_comes_from_the_engine_marked_degraded(client: TestClient, store: SqlStore) -> None:
    body = _chat(client, ANSWERED, "d-1")
    assert body["degraded"] is True
    assert body["decision"] == "answer" and body["faq_id"] == "SFZ001"
    assert [m["text"] for m in body["messages"]] == [ENTRIES["SFZ001"].answer]
    assert body["candidates"][0] == {"faq_id": "SFZ001", "score": 0.95}
    [turn] = store.get_turns("d-1")
    assert turn.decision == "answer" and turn.faq_id == "SFZ001"
    assert turn.intent is None  # no NLU ran


def test_degraded_answer_then_leaving_is_deflected(client: TestClient, store: SqlStore) -> None:
    _chat(client, ANSWERED, "d-2")
    assert client.post("/api/sessions/d-2/end").json()["outcome"] == "deflected"
    record = store.get_session("d-2")
    assert record is not None and record.faq_id == "SFZ001" and not record.confirmed


def test_clarify_offers_numbered_choices_with_buttons(client: TestClient) -> None:
    body = _chat(client, UNCLEAR, "d-3")
    assert body["decision"] == "clarify" and body["degraded"] is True
    [message] = body["messages"]
    assert message["text"] == ("您想问的是下面哪一个？\n1. 身份证丢了怎么补办\n"
                               "2. 社保卡丢了怎么补办")
    assert [b["payload"] for b in message["buttons"]] == ["第1个", "第2个"]
    assert [b["title"] for b in message["buttons"]] == ["身份证丢了怎么补办", "社保卡丢了怎么补办"]


@pytest.mark.parametrize("choice,faq_id", [("2", "SB001"), ("第二个", "SB001"), ("第1个", "SFZ001"),
                                           ("社保卡丢了怎么补办", "SB001")])
def test_choosing_by_number_answers_that_entry(
    client: TestClient, engine: FakeEngine, store: SqlStore, choice: str, faq_id: str
) -> None:
    _chat(client, UNCLEAR, "d-4")
    body = _chat(client, choice, "d-4")
    assert body["decision"] == "answer" and body["faq_id"] == faq_id
    assert [m["text"] for m in body["messages"]] == [ENTRIES[faq_id].answer]
    assert engine.asked == [UNCLEAR]  # the choice was not looked up as a question
    assert client.post("/api/sessions/d-4/end").json()["outcome"] == "deflected"


def test_a_new_question_instead_of_a_choice_is_looked_up(
    client: TestClient, engine: FakeEngine
) -> None:
    _chat(client, UNCLEAR, "d-5")
    body = _chat(client, UNKNOWN, "d-5")
    assert body["decision"] == "handover"
    assert engine.asked == [UNCLEAR, UNKNOWN]


def test_low_confidence_is_handed_over_and_recorded(client: TestClient, store: SqlStore) -> None:
    body = _chat(client, UNKNOWN, "d-6")
    assert body["decision"] == "handover" and body["outcome"] == "transferred"
    assert [m["text"] for m in body["messages"]] == ["好的，正在为您转接人工客服，请稍候。"]
    record = store.get_session("d-6")
    assert record is not None
    assert record.outcome is Outcome.TRANSFERRED
    assert record.reason is TransferReason.LOW_CONFIDENCE
    assert record.handover_summary["question"] == UNKNOWN
    assert record.handover_summary["candidates"] == [{"faq_id": "SB001", "score": 0.30}]
    assert record.handover_summary["degraded"] is True
    # Leaving afterwards keeps the transfer.
    assert client.post("/api/sessions/d-6/end").json()["outcome"] == "transferred"


def test_greeting_while_degraded_is_not_handed_over(
    client: TestClient, engine: FakeEngine, store: SqlStore
) -> None:
    body = _chat(client, "你好", "d-7")
    assert body["decision"] == "reply" and body["degraded"] is True
    assert body["outcome"] is None
    assert engine.asked == []
    record = store.get_session("d-7")
    assert record is not None and record.outcome is None


def test_rasa_coming_back_takes_over_again(
    client: TestClient, rasa: FakeRasa, engine: FakeEngine
) -> None:
    _chat(client, UNCLEAR, "d-8")
    rasa.down = False
    body = _chat(client, "2", "d-8")
    assert body["degraded"] is False
    assert [t for _, t, _ in rasa.sent] == ["2"]


def test_engine_failure_in_degraded_mode_hands_over(
    client: TestClient, engine: FakeEngine, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("index files unreadable")

    monkeypatch.setattr(engine, "ask", broken)
    body = _chat(client, ANSWERED, "d-broken")
    assert body["decision"] == "handover" and body["outcome"] == "transferred"
    record = store.get_session("d-broken")
    assert record is not None and record.reason is TransferReason.LOW_CONFIDENCE
