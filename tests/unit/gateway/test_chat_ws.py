"""The chat WebSocket /ws/chat: framing, streaming order, bad frames, rate limit, draining,
and session continuity across reconnects and with POST /api/chat (real ConversationService
over the scripted rasa and a real SqlStore)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.gateway.app import create_app
from bot.gateway.chat_ws import (
    MAX_ERRORS,
    MAX_FRAME_CHARS,
    ChatHub,
    RateLimit,
    chat_router,
    split_chunks,
)
from bot.gateway.conversation import ChatReply, ConversationService
from bot.gateway.rasa_client import BotMessage
from bot.gateway.replies import TOO_LONG
from bot.settings import PROJECT_ROOT, Settings
from bot.store.base import Channel
from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import FakeEngine, FakeRasa, faq_payload, rest_items

LONG_ANSWER = "请携带户口簿到户籍所在地派出所办理。办理时需本人到场！工作日受理；周末不受理。"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> 详见 https://example.gov.cn/a'


@dataclass
class FakeConversation:
    """Answers from a script keyed by text (default: one short message); records calls."""

    script: dict[str, tuple[BotMessage, ...]] = field(default_factory=dict)
    calls: list[tuple[str, str, Channel]] = field(default_factory=list)
    max_chars: int = 2000
    fail_on: str | None = None

    async def handle(self, session_id: str, text: str, channel: Channel = Channel.CHAT,
                     asr_confidence: float | None = None) -> ChatReply:
        self.calls.append((session_id, text, channel))
        if text == self.fail_on:
            raise RuntimeError("store exploded")
        messages = self.script.get(text, (BotMessage(f"收到：{text}"),))
        return ChatReply(session_id, messages, "answer", "SFZ001", outcome=None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app(conversation: Any, **kw: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(chat_router(conversation, chunk_delay_s=0.0, **kw))
    return app


@pytest.fixture
def fake() -> FakeConversation:
    return FakeConversation({
        "长": (BotMessage(LONG_ANSWER), BotMessage("请问这个回答对您有帮助吗？", (
            {"title": "有帮助", "payload": "/affirm"}, {"title": "没帮助", "payload": "/deny"}))),
        "xss": (BotMessage(XSS),),
    })


@pytest.fixture
def client(fake: FakeConversation) -> Iterator[TestClient]:
    with TestClient(_app(fake)) as opened:
        yield opened


def _turn(ws: Any) -> list[dict[str, Any]]:
    """Frames up to and including the turn's reply (or its error)."""
    frames = []
    while True:
        frame = ws.receive_json()
        frames.append(frame)
        if frame["type"] in ("reply", "error"):
            return frames


def _say(ws: Any, text: str, **extra: Any) -> list[dict[str, Any]]:
    ws.send_json({"type": "message", "text": text, **extra})
    return _turn(ws)


def test_the_socket_says_ready_with_the_limit(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat?session_id=s-1") as ws:
        assert ws.receive_json() == {"type": "ready", "session_id": "s-1", "max_chars": 2000}


def test_a_message_gets_typing_then_the_message_then_the_reply(
    client: TestClient, fake: FakeConversation
) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        frames = _say(ws, "身份证丢了", session_id="s-1", id="t1")
    assert [f["type"] for f in frames] == ["typing", "message", "reply"]
    assert frames[1] == {"type": "message", "id": "t1", "index": 0, "text": "收到：身份证丢了",
                         "buttons": []}
    reply = frames[2]
    assert (reply["id"], reply["session_id"], reply["decision"], reply["faq_id"]) == (
        "t1", "s-1", "answer", "SFZ001")
    assert reply["messages"] == [{"text": "收到：身份证丢了", "buttons": []}]
    assert fake.calls == [("s-1", "身份证丢了", Channel.CHAT)]


def test_a_long_answer_streams_sentence_by_sentence_in_order(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        frames = _say(ws, "长", id="t2")
    kinds = [(f["type"], f.get("index")) for f in frames]
    chunks = [f["text"] for f in frames if f["type"] == "chunk"]
    assert chunks == ["请携带户口簿到户籍所在地派出所办理。", "办理时需本人到场！", "工作日受理；",
                      "周末不受理。"]
    assert kinds == [("typing", None)] + [("chunk", 0)] * 4 + [
        ("message", 0), ("message", 1), ("reply", None)]
    assert frames[5]["text"] == LONG_ANSWER  # the complete message follows its pieces
    assert [b["payload"] for b in frames[6]["buttons"]] == ["/affirm", "/deny"]
    assert all(f["id"] == "t2" for f in frames)


def test_markup_in_an_answer_is_passed_verbatim_as_text(client: TestClient) -> None:
    # The socket neither escapes nor strips: the page renders it as text (text nodes only).
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        frames = _say(ws, "xss")
    assert frames[-2]["text"] == XSS and frames[-1]["messages"][0]["text"] == XSS


def test_the_page_script_never_parses_text_as_html() -> None:
    static = PROJECT_ROOT / "bot" / "web" / "static"
    for name in ("chat.js", "widget.js"):
        source = (static / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{name} uses {sink}"
    assert "textContent" in (static / "chat.js").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json {", "bad_json"),
        ('["message"]', "bad_message"),
        ('{"text": "无类型"}', "bad_message"),
        ('{"type": "subscribe"}', "unknown_type"),
        ('{"type": "message", "text": 12}', "invalid_text"),
        ('{"type": "message", "text": "好", "session_id": "有 空格"}', "invalid_session_id"),
        ('{"type": "message", "text": "好", "id": 7}', "invalid_id"),
        (json.dumps({"type": "message", "text": "长" * MAX_FRAME_CHARS}), "frame_too_large"),
    ],
)
def test_a_bad_frame_gets_an_error_and_the_socket_stays_usable(
    client: TestClient, fake: FakeConversation, frame: str, code: str
) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        ws.send_text(frame)
        error = ws.receive_json()
        ws.send_json({"type": "ping"})
        pong = ws.receive_json()
        after = _say(ws, "还在吗")
    assert error["type"] == "error" and error["code"] == code
    assert error["message"]  # a Chinese sentence, not a stack trace
    assert pong == {"type": "pong"}
    assert after[-1]["type"] == "reply"
    assert [text for _, text, _ in fake.calls] == ["还在吗"]


def test_a_binary_frame_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "binary_not_supported"


def test_too_many_bad_frames_close_the_socket(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        for _ in range(MAX_ERRORS):
            ws.send_text("x")
            assert ws.receive_json()["code"] == "bad_json"
        closed = ws.receive()
    assert closed == {"type": "websocket.close", "code": 1008, "reason": "too many bad frames"}


def test_a_failing_turn_is_reported_and_the_socket_stays_open(
    fake: FakeConversation,
) -> None:
    fake.fail_on = "炸"
    with TestClient(_app(fake)) as client, client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        failed = _say(ws, "炸", id="t9")
        after = _say(ws, "再问一次")
    assert failed[-1] == {"type": "error", "code": "internal_error", "id": "t9",
                          "message": "系统暂时出现问题，请稍后再试或拨打 12345 转人工。"}
    assert after[-1]["type"] == "reply"


def test_messages_beyond_the_rate_limit_are_refused_until_the_window_passes(
    fake: FakeConversation,
) -> None:
    clock = Clock()
    app = _app(fake, rate_limit=lambda: RateLimit(2, 10.0, clock))
    with TestClient(app) as client, client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        first, second = _say(ws, "一"), _say(ws, "二")
        third = _say(ws, "三", id="t3")
        ws.send_json({"type": "ping"})  # pings are not turns: never limited
        pong = ws.receive_json()
        clock.now += 10.0
        fourth = _say(ws, "四")
    assert first[-1]["type"] == second[-1]["type"] == "reply"
    assert third == [{"type": "error", "code": "rate_limited", "id": "t3",
                      "message": "您发送得太快了，请稍等几秒再发。"}]
    assert pong == {"type": "pong"}
    assert fourth[-1]["type"] == "reply"
    assert [text for _, text, _ in fake.calls] == ["一", "二", "四"]


def test_the_limit_is_per_connection(fake: FakeConversation) -> None:
    clock = Clock()
    app = _app(fake, rate_limit=lambda: RateLimit(1, 10.0, clock))
    with TestClient(app) as client:
        with client.websocket_connect("/ws/chat") as ws:
            ws.receive_json()
            assert _say(ws, "一")[-1]["type"] == "reply"
            assert _say(ws, "二")[-1]["code"] == "rate_limited"
        with client.websocket_connect("/ws/chat") as ws:
            ws.receive_json()
            assert _say(ws, "三")[-1]["type"] == "reply"


def test_without_a_session_id_the_connection_keeps_one(
    client: TestClient, fake: FakeConversation
) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        first = _say(ws, "一")[-1]["session_id"]
        second = _say(ws, "二")[-1]["session_id"]
    assert first == second and len(first) == 32


def test_the_query_session_id_is_used_when_the_message_has_none(
    client: TestClient, fake: FakeConversation
) -> None:
    with client.websocket_connect("/ws/chat?session_id=from-query") as ws:
        ws.receive_json()
        reply = _say(ws, "一")[-1]
    assert reply["session_id"] == "from-query"


def test_a_bad_query_session_id_is_ignored(client: TestClient) -> None:
    with client.websocket_connect("/ws/chat?session_id=bad%20id") as ws:
        assert ws.receive_json()["session_id"] is None
        assert _say(ws, "一")[-1]["session_id"] != "bad id"


def test_a_draining_gateway_refuses_new_sockets_and_closes_open_ones(
    fake: FakeConversation,
) -> None:
    hub = ChatHub()
    with TestClient(_app(fake, hub=hub)) as client:
        with client.websocket_connect("/ws/chat") as ws:
            ws.receive_json()
            assert client.portal is not None
            assert client.portal.call(hub.close_all) == 1
            closed = ws.receive()
        hub.draining = True
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect("/ws/chat"):
                pass
    assert closed["type"] == "websocket.close" and closed["code"] == 1012
    assert refused.value.code == 1013
    assert hub.sockets == set()


# -- the real ConversationService: same sessions as POST /api/chat ----------------------

@pytest.fixture
def real(tmp_path: Any) -> Iterator[tuple[TestClient, FakeRasa, SqlStore]]:
    rasa = FakeRasa(replies={
        "身份证丢了": rest_items(
            "携带户口簿到户籍所在地派出所申请补领。", "请问这个回答对您有帮助吗？",
            buttons=[{"title": "有帮助", "payload": "/affirm"},
                     {"title": "没帮助", "payload": "/deny"}],
            custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93)])),
        "/affirm": rest_items("很高兴能帮到您！还有其他问题吗？",
                              custom={"outcome": "deflected", "reason": None}),
    })
    settings = Settings(data_dir=tmp_path, max_message_chars=50)
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as store:
        engine = FakeEngine()
        conversation = ConversationService(rasa, engine, store,  # type: ignore[arg-type]
                                           settings.max_message_chars)
        app = create_app(settings, conversation, store, engine, rasa)  # type: ignore[arg-type]
        app.include_router(chat_router(conversation, chunk_delay_s=0.0))
        with TestClient(app) as client:
            yield client, rasa, store


def test_a_reconnect_with_the_same_session_id_continues_the_session(
    real: tuple[TestClient, FakeRasa, SqlStore],
) -> None:
    client, rasa, store = real
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        answered = _say(ws, "身份证丢了", session_id="web-1")[-1]
    with client.websocket_connect("/ws/chat?session_id=web-1") as ws:
        ws.receive_json()
        helped = _say(ws, "/affirm", session_id="web-1")[-1]
    assert answered["faq_id"] == "SFZ001" and helped["outcome"] == "deflected"
    assert [sender for sender, _, _ in rasa.sent] == ["web-1", "web-1"]
    assert [t.text for t in store.get_turns("web-1")] == ["身份证丢了", "/affirm"]
    assert all(t.channel is Channel.CHAT for t in store.get_turns("web-1"))


def test_rest_and_socket_turns_share_one_session(
    real: tuple[TestClient, FakeRasa, SqlStore],
) -> None:
    client, _, store = real
    rest = client.post("/api/chat", json={"text": "身份证丢了", "session_id": "web-2"})
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        _say(ws, "/affirm", session_id="web-2")
    assert rest.status_code == 200
    assert [t.text for t in store.get_turns("web-2")] == ["身份证丢了", "/affirm"]


def test_an_over_long_message_gets_the_same_polite_reply_as_rest(
    real: tuple[TestClient, FakeRasa, SqlStore],
) -> None:
    client, rasa, _ = real
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        reply = _say(ws, "很" * 51, session_id="web-3")[-1]
    assert reply["messages"] == [{"text": TOO_LONG, "buttons": []}]
    assert rasa.sent == []


# -- splitting ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["", "一句话", "第一句。第二句！第三句？", "换行\n\n之后。", "1. 甲\n2. 乙", "无标点" * 50,
     "ends without punctuation。tail"],
)
def test_the_pieces_join_back_to_the_text(text: str) -> None:
    pieces = split_chunks(text)
    assert "".join(pieces) == text
    assert all(len(p) <= 80 for p in pieces)


def test_a_run_without_punctuation_is_cut_at_the_limit() -> None:
    assert split_chunks("无" * 170) == ["无" * 80, "无" * 80, "无" * 10]
