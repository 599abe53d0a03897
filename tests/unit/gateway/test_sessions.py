"""Ending and reading sessions, and the one JSON error shape of every failure."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.store.base import Outcome
from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import FakeRasa, faq_payload, rest_items


def _error(response: Any) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert all(isinstance(v, str) and v for v in body["error"].values())
    return body["error"]


def test_session_ended_after_an_answer_is_deflected_unconfirmed(
    client: TestClient, rasa: FakeRasa, store: SqlStore
) -> None:
    rasa.replies["身份证丢了怎么补办"] = rest_items(
        "携带户口簿……", custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93)]))
    client.post("/api/chat", json={"text": "身份证丢了怎么补办", "session_id": "s-d"})
    response = client.post("/api/sessions/s-d/end")
    assert response.status_code == 200
    assert response.json() == {"session_id": "s-d", "outcome": "deflected"}
    record = store.get_session("s-d")
    assert record is not None
    assert record.outcome is Outcome.DEFLECTED and record.confirmed is False
    assert record.faq_id == "SFZ001"


def test_session_ended_without_an_answer_is_abandoned(
    client: TestClient, rasa: FakeRasa, store: SqlStore
) -> None:
    rasa.replies["你好"] = rest_items("您好，这里是海川市12345政务服务热线智能客服。")
    client.post("/api/chat", json={"text": "你好", "session_id": "s-a"})
    assert client.post("/api/sessions/s-a/end").json()["outcome"] == "abandoned"
    record = store.get_session("s-a")
    assert record is not None and record.outcome is Outcome.ABANDONED


def test_session_ended_after_clarify_is_abandoned(
    client: TestClient, rasa: FakeRasa
) -> None:
    rasa.replies["补办"] = rest_items(
        "您想问的是下面哪一个？\n1. 身份证丢了怎么补办\n2. 社保卡丢了怎么补办",
        custom=faq_payload("clarify", None, [("SFZ001", 0.8), ("SB001", 0.79)]))
    client.post("/api/chat", json={"text": "补办", "session_id": "s-c"})
    assert client.post("/api/sessions/s-c/end").json()["outcome"] == "abandoned"


def test_ending_twice_keeps_the_outcome(client: TestClient, rasa: FakeRasa) -> None:
    rasa.replies["身份证丢了怎么补办"] = rest_items(
        "携带户口簿……", custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93)]))
    client.post("/api/chat", json={"text": "身份证丢了怎么补办", "session_id": "s-2x"})
    client.post("/api/sessions/s-2x/end")
    assert client.post("/api/sessions/s-2x/end").json()["outcome"] == "deflected"


def test_a_session_reads_back_with_its_outcome(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "你好", "session_id": "s-read"})
    client.post("/api/sessions/s-read/end")
    body = client.get("/api/sessions/s-read").json()
    assert body["session_id"] == "s-read"
    assert body["channel"] == "chat"
    assert body["outcome"] == "abandoned"
    assert body["ended_at"] is not None
    assert body["reason"] is None and body["handover_summary"] == {}


@pytest.mark.parametrize("method,path", [("post", "/api/sessions/nobody/end"),
                                         ("get", "/api/sessions/nobody")])
def test_unknown_session_is_404_with_the_error_shape(
    client: TestClient, store: SqlStore, method: str, path: str
) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 404
    error = _error(response)
    assert error["code"] == "unknown_session"
    assert "nobody" in error["message"]
    assert store.get_session("nobody") is None  # looking did not create it


@pytest.mark.parametrize("method,path", [("post", "/api/sessions/bad%20id!/end"),
                                         ("get", "/api/sessions/" + "x" * 129)])
def test_invalid_session_id_in_the_path_is_422(client: TestClient, method: str, path: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_session_id"


@pytest.mark.parametrize("sid", ["has space", "", "x" * 129, "名字", "a/b"])
def test_invalid_session_id_in_the_body_is_422(
    client: TestClient, rasa: FakeRasa, sid: str
) -> None:
    response = client.post("/api/chat", json={"text": "你好", "session_id": sid})
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_session_id"
    assert rasa.sent == []


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_malformed_body_is_422_with_the_error_shape(client: TestClient, content: bytes) -> None:
    response = client.post("/api/chat", content=content,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_request"


@pytest.mark.parametrize("body", [{}, {"session_id": "s-x"}, {"text": None}, {"text": 42},
                                  {"text": ["社保"]}])
def test_missing_or_non_text_text_is_422(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid_request"
    assert "text" in error["message"]


def test_unknown_route_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    assert _error(client.get("/api/nowhere"))["code"] == "not_found"
    response = client.get("/api/chat")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_malformed_json_says_so_in_chinese_with_the_position(client: TestClient) -> None:
    response = client.post("/api/chat", content='{"text":"中文" x'.encode(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid_request"
    assert error["message"] == "请求体不是有效的 JSON（第 14 个字符附近）"


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_says_what_is_expected(
    client: TestClient, content: bytes
) -> None:
    response = client.post("/api/chat", content=content,
                           headers={"content-type": "application/json"})
    error = _error(response)
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("请求体应为 JSON 对象")
    assert "decode" not in error["message"] and "Input should" not in error["message"]
