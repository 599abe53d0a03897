"""Awkward citizen texts: nothing to ask, far too long, mixed languages, SQL and HTML."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import FakeRasa

EMPTY = "请您说一下想咨询的问题。"
TOO_LONG = "您的消息太长了，请简要说明您要咨询的问题（一两句话即可）。"


@pytest.mark.parametrize("text", ["", "   \n\t\u3000 ", "😀😀👍", "？？！！…"])
def test_nothing_to_ask_gets_a_prompt_without_calling_rasa(
    client: TestClient, rasa: FakeRasa, store: SqlStore, text: str
) -> None:
    response = client.post("/api/chat", json={"text": text, "session_id": "s-empty"})
    assert response.status_code == 200
    body = response.json()
    assert [m["text"] for m in body["messages"]] == [EMPTY]
    assert body["decision"] == "reply"
    assert rasa.sent == []
    [turn] = store.get_turns("s-empty")
    assert turn.decision == "reply" and turn.reply == EMPTY


@pytest.mark.parametrize("text", ["你好", "嗯嗯", "hello"])
def test_short_words_still_reach_the_dialog(client: TestClient, rasa: FakeRasa, text: str) -> None:
    # Greetings and fillers are rasa's to handle (utter_greet, fallback), not "empty".
    client.post("/api/chat", json={"text": text, "session_id": "s-greet"})
    assert [t for _, t, _ in rasa.sent] == [text]


def test_ten_thousand_characters_get_too_long_and_only_the_start_is_stored(
    client: TestClient, rasa: FakeRasa, store: SqlStore
) -> None:
    text = ("社保卡丢了怎么补办" * 1200)[:10_000]
    body = client.post("/api/chat", json={"text": text, "session_id": "s-long"}).json()
    assert [m["text"] for m in body["messages"]] == [TOO_LONG]
    assert rasa.sent == []
    [turn] = store.get_turns("s-long")
    # The log keeps the first max_message_chars (2000 here), not what an abuser pasted.
    assert turn.text == text[:2000] + "…[已截断，原文 10000 字]"
    assert turn.decision == "reply" and turn.reply == TOO_LONG


def test_a_message_at_the_limit_is_stored_whole(
    client: TestClient, rasa: FakeRasa, store: SqlStore
) -> None:
    text = ("社保卡丢了怎么补办" * 300)[:2000]
    client.post("/api/chat", json={"text": text, "session_id": "s-limit"})
    [turn] = store.get_turns("s-limit")
    assert turn.text == text


def test_more_than_the_body_limit_is_rejected_with_the_error_shape(client: TestClient) -> None:
    response = client.post("/api/chat", json={"text": "长" * 100_001, "session_id": "s-huge"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


MIXED = ("My 身份证 lost, 怎么补办? '; DROP TABLE turns; -- <script>alert('x')</script>"
         " 电话 13812345678")


def test_mixed_english_sql_and_html_go_to_rasa_verbatim(client: TestClient, rasa: FakeRasa) -> None:
    client.post("/api/chat", json={"text": MIXED, "session_id": "s-mixed"})
    assert rasa.sent[0][1] == MIXED


def test_mixed_english_sql_and_html_are_stored_verbatim_but_masked(
    client: TestClient, store: SqlStore, tmp_path: Path
) -> None:
    client.post("/api/chat", json={"text": MIXED, "session_id": "s-mixed"})
    [turn] = store.get_turns("s-mixed")
    assert turn.text == MIXED.replace("13812345678", "138****5678")
    conn = sqlite3.connect(tmp_path / "bot.db")
    try:  # the table the text tried to drop is still there
        assert conn.execute("SELECT count(*) FROM turns").fetchone() == (1,)
    finally:
        conn.close()


def test_html_in_the_reply_is_returned_as_text(client: TestClient, rasa: FakeRasa) -> None:
    rasa.replies["问题"] = [{"recipient_id": "x", "text": "<b>粗体</b> & 更多"}]
    body = client.post("/api/chat", json={"text": "问题", "session_id": "s-html"}).json()
    assert body["messages"][0]["text"] == "<b>粗体</b> & 更多"


def test_an_unknown_channel_is_rejected(client: TestClient) -> None:
    response = client.post("/api/chat", json={"text": "你好", "channel": "fax"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "channel" in response.json()["error"]["message"]
