"""The REST channel's reply parsed into messages and the one custom payload, and the client's
failures turned into RasaUnavailable (the trigger of degraded mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.gateway.rasa_client import (
    BotMessage,
    DialogState,
    RasaClient,
    RasaUnavailable,
    parse_rest_response,
)

FAQ = {"decision": "answer", "faq_id": "SFZ001",
       "candidates": [{"faq_id": "SFZ001", "score": 0.93}],
       "normalized_query": "身份证丢了怎么补办"}


def test_several_elements_give_messages_in_order_and_the_custom_payload() -> None:
    turn = parse_rest_response([
        {"recipient_id": "s", "text": "携带户口簿到派出所补领。"},
        {"recipient_id": "s", "text": "请问这个回答对您有帮助吗？",
         "buttons": [{"title": "有帮助", "payload": "/affirm"},
                     {"title": "没帮助", "payload": "/deny"}]},
        {"recipient_id": "s", "custom": {"faq": FAQ, "outcome": None, "reason": None}},
    ])
    assert turn.messages == (
        BotMessage("携带户口簿到派出所补领。"),
        BotMessage("请问这个回答对您有帮助吗？", (
            {"title": "有帮助", "payload": "/affirm"}, {"title": "没帮助", "payload": "/deny"})),
    )
    assert turn.custom == {"faq": FAQ, "outcome": None, "reason": None}


def test_a_message_carrying_text_and_custom_gives_both() -> None:
    turn = parse_rest_response([{"text": "好的，正在为您转接人工客服，请稍候。",
                                 "custom": {"outcome": "transferred"}}])
    assert [m.text for m in turn.messages] == ["好的，正在为您转接人工客服，请稍候。"]
    assert turn.custom == {"outcome": "transferred"}


def test_junk_elements_are_skipped() -> None:
    turn = parse_rest_response([
        "not a dict", None, {"text": ""}, {"text": 5}, {"image": "http://x/y.png"},
        {"custom": "not a dict"}, {"text": "有效", "buttons": ["x", {"title": "t"}]},
    ])  # type: ignore[list-item]
    assert turn.messages == (BotMessage("有效", ({"title": "t", "payload": ""},)),)
    assert turn.custom == {}


def test_an_empty_reply_has_no_messages_and_no_payload() -> None:
    turn = parse_rest_response([])
    assert turn.messages == () and turn.custom == {}


Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> RasaClient:
    client = RasaClient("http://rasa.test:5005/")
    client._client = httpx.AsyncClient(base_url=client.base_url,
                                       transport=httpx.MockTransport(handler))
    return client


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_send_posts_the_rest_payload() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        import json

        seen.append({"path": request.url.path, **json.loads(request.content)})
        return httpx.Response(200, json=[{"text": "您好"}])

    turn = _run(_client(handler).send("s-1", "你好", {"channel": "chat"}))
    assert seen == [{"path": "/webhooks/rest/webhook", "sender": "s-1", "message": "你好",
                     "metadata": {"channel": "chat"}}]
    assert turn.messages == (BotMessage("您好"),)


@pytest.mark.parametrize("handler", [
    lambda r: httpx.Response(500, text="boom"),
    lambda r: httpx.Response(200, text="<html>not json</html>"),
    lambda r: httpx.Response(200, json={"not": "a list"}),
])
def test_bad_answers_are_rasa_unavailable(handler: Handler) -> None:
    with pytest.raises(RasaUnavailable, match="rasa.test"):
        _run(_client(handler).send("s", "你好", {}))


def test_an_unreachable_server_is_rasa_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(RasaUnavailable, match="connection refused"):
        _run(_client(handler).send("s", "你好", {}))


def test_dialog_state_reads_intent_and_the_requested_slot_of_an_active_form() -> None:
    tracker = {"latest_message": {"intent": {"name": "complain", "confidence": 0.88}},
               "active_loop": {"name": "work_order_form"},
               "slots": {"requested_slot": "wo_where"}}
    state = _run(_client(lambda r: httpx.Response(200, json=tracker)).dialog_state("s"))
    assert state == DialogState("complain", 0.88, "wo_where")


def test_requested_slot_without_an_active_form_is_not_awaiting() -> None:
    tracker = {"latest_message": {"intent": {"name": "affirm", "confidence": 1}},
               "active_loop": {}, "slots": {"requested_slot": "wo_phone"}}
    state = _run(_client(lambda r: httpx.Response(200, json=tracker)).dialog_state("s"))
    assert state == DialogState("affirm", 1.0, None)


def test_an_unreadable_tracker_is_an_empty_state() -> None:
    state = _run(_client(lambda r: httpx.Response(404)).dialog_state("s"))
    assert state == DialogState()


def test_status_reports_the_model_or_down() -> None:
    up = _client(lambda r: httpx.Response(200, json={"model_file": "hotline.tar.gz"}))
    assert _run(up.status()) == {"status": "ok", "model": "hotline.tar.gz"}
    down = _run(_client(lambda r: httpx.Response(503)).status())
    assert down["status"] == "down" and "503" in down["error"]
