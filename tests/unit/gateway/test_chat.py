"""POST /api/chat through rasa (scripted): the reply, and the turn the store records."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.gateway.rasa_client import DialogState
from bot.store.base import Candidate, Channel
from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import FakeRasa, faq_payload, rest_items

QUESTION = "身份证丢了怎么补办"
ANSWER = "携带户口簿到户籍所在地派出所申请补领。"
HELPED_Q = "请问这个回答对您有帮助吗？"
FEEDBACK = [{"title": "有帮助", "payload": "/affirm"}, {"title": "没帮助", "payload": "/deny"}]


def _script_answer(rasa: FakeRasa, text: str = QUESTION) -> None:
    rasa.replies[text] = rest_items(
        ANSWER, HELPED_Q, buttons=FEEDBACK,
        custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93), ("SFZ002", 0.71)]),
    )


def test_answer_comes_back_with_messages_buttons_and_payload(
    client: TestClient, rasa: FakeRasa
) -> None:
    _script_answer(rasa)
    body = client.post("/api/chat", json={"text": QUESTION, "session_id": "s-1"}).json()
    assert body["session_id"] == "s-1"
    assert [m["text"] for m in body["messages"]] == [ANSWER, HELPED_Q]
    assert body["messages"][1]["buttons"] == FEEDBACK
    assert body["decision"] == "answer"
    assert body["faq_id"] == "SFZ001"
    assert body["candidates"] == [{"faq_id": "SFZ001", "score": 0.93},
                                  {"faq_id": "SFZ002", "score": 0.71}]
    assert body["intent"] == "ask_question" and body["intent_confidence"] == 0.97
    assert body["degraded"] is False
    assert body["latency_ms"] >= 0


def test_text_goes_to_rasa_with_the_session_and_channel(
    client: TestClient, rasa: FakeRasa
) -> None:
    client.post("/api/chat", json={"text": "  你好  ", "session_id": "s-2", "channel": "voice"})
    assert rasa.sent == [("s-2", "你好", {"channel": "voice"})]


def test_turn_is_recorded_with_intent_candidates_decision_and_latency(
    client: TestClient, rasa: FakeRasa, store: SqlStore
) -> None:
    _script_answer(rasa)
    client.post("/api/chat", json={"text": QUESTION, "session_id": "s-3"})
    [turn] = store.get_turns("s-3")
    assert turn.text == QUESTION
    assert turn.channel is Channel.CHAT
    assert turn.intent == "ask_question"
    assert turn.intent_confidence == 0.97
    assert turn.candidates == (Candidate("SFZ001", 0.93), Candidate("SFZ002", 0.71))
    assert turn.decision == "answer"
    assert turn.faq_id == "SFZ001"
    assert turn.reply == f"{ANSWER}\n{HELPED_Q}"
    assert turn.latency_ms is not None and turn.latency_ms >= 0


def test_a_session_id_is_made_when_none_is_given(client: TestClient, store: SqlStore) -> None:
    body = client.post("/api/chat", json={"text": "你好"}).json()
    assert len(body["session_id"]) == 32
    assert store.get_session(body["session_id"]) is not None


def test_pii_is_masked_in_the_store_but_sent_to_rasa_as_typed(
    client: TestClient, rasa: FakeRasa, store: SqlStore
) -> None:
    text = "我的电话13812345678，身份证110101199003071234丢了"
    client.post("/api/chat", json={"text": text, "session_id": "s-pii"})
    [turn] = store.get_turns("s-pii")
    assert "13812345678" not in turn.text and "110101199003071234" not in turn.text
    assert turn.text == "我的电话138****5678，身份证110101********1234丢了"
    assert rasa.sent[0][1] == text


def test_form_state_is_reported_as_awaiting(client: TestClient, rasa: FakeRasa) -> None:
    rasa.state = DialogState("complain", 0.9, awaiting="wo_where")
    rasa.replies["路灯坏了"] = rest_items("问题发生在哪里？请说一下具体地址或位置。")
    body = client.post("/api/chat", json={"text": "路灯坏了", "session_id": "s-wo"}).json()
    assert body["awaiting"] == "wo_where"
    assert body["decision"] == "reply"


def test_work_order_outcome_sets_the_decision(
    client: TestClient, rasa: FakeRasa, store: SqlStore
) -> None:
    custom = {"faq": {"decision": "work_order", "faq_id": None, "candidates": [],
                      "normalized_query": ""}, "outcome": "work_order", "reason": None}
    rasa.replies["不留"] = rest_items("已为您登记工单，工单号 GD20261203-000001，…", custom=custom)
    body = client.post("/api/chat", json={"text": "不留", "session_id": "s-wo2"}).json()
    assert body["decision"] == "work_order" and body["outcome"] == "work_order"
    assert store.get_turns("s-wo2")[0].decision == "work_order"


def test_transfer_without_faq_payload_is_a_handover(client: TestClient, rasa: FakeRasa) -> None:
    rasa.replies["转人工"] = rest_items(
        "好的，正在为您转接人工客服，请稍候。",
        custom={"outcome": "transferred", "reason": "citizen_request"},
    )
    body = client.post("/api/chat", json={"text": "转人工", "session_id": "s-h"}).json()
    assert body["decision"] == "handover" and body["outcome"] == "transferred"


def test_rasa_replying_nothing_gives_a_polite_message(client: TestClient, rasa: FakeRasa) -> None:
    rasa.replies["蓝色的大象"] = []
    body = client.post("/api/chat", json={"text": "蓝色的大象", "session_id": "s-n"}).json()
    no_reply = "抱歉，我没有理解您的意思。您可以换个说法，或者说“转人工”。"
    assert body["messages"] == [{"text": no_reply, "buttons": []}]
    assert body["decision"] == "reply"
