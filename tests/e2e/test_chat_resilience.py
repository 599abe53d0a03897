"""The chat page's resilience and safety in real headless Chromium, against an in-process
gateway on a real port: the real ConversationService (degraded mode: no rasa) on a real
SqlStore over a scripted FAQ engine, the real socket, page and widget.
- the widget: a plain HTML page on another port with the one script tag opens the chat;
- the gateway drops the socket mid-conversation and refuses new ones for a while: the page
  answers over REST, reconnects with back-off, keeps every message across a reload;
- a socket refused from the start: REST until it connects;
- an answer carrying <script> and <img onerror> shows as text and never runs;
- an over-long question is stopped with a polite message.
Screenshots of each state go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.engine.types import Decision, FaqMatch, FaqResult
from bot.settings import Settings
from bot.store.sql import SqlStore
from tests.e2e.chat_support import PHONE, Served, ask, chromium, connected, shot, wait_ended

pytestmark = pytest.mark.slow

ID_ANSWER = ("请携带户口簿到户籍所在地派出所申请补领。\n"
             "办理进度可在 https://zwfw.haichuan.example/progress 查询。")
XSS_ANSWER = ('<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">\n'
              '危险链接 javascript:window.__xss=3 不应可点。')


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


class ScriptedEngine:
    """Answers questions about ID cards, returns markup for 网页测试, hands over the rest."""

    version = "e2e"

    def ask(self, text: str) -> FaqResult:
        answer = ID_ANSWER if "身份证" in text else XSS_ANSWER if "网页测试" in text else None
        if answer is None:
            return FaqResult(text, text, Decision.HANDOVER, (), 1.0, "e2e")
        match = FaqMatch("SFZ002", 0.95, "身份证丢了怎么补办", text, answer, "户政", "公安局", 0.95)
        return FaqResult(text, text, Decision.ANSWER, (match,), 1.0, "e2e")

    def entry(self, faq_id: str) -> None:
        return None


# Not the page's own default (2000), so the length test shows the page takes the limit from
# the server's "ready" frame.
SERVER_MAX_CHARS = 1200


@dataclass
class Local:
    url: str
    store: SqlStore
    hub: Any  # ChatHub


@pytest.fixture
def local(tmp_path: Path, browser: Any) -> Iterator[Local]:
    from fastapi import FastAPI

    from bot.gateway.app import create_app
    from bot.gateway.chat_ws import ChatHub, chat_router
    from bot.gateway.conversation import ConversationService
    from bot.web.chat_pages import install_chat_pages

    settings = Settings(data_dir=tmp_path)
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as store:
        engine = ScriptedEngine()
        conversation = ConversationService(None, engine, store, SERVER_MAX_CHARS)
        hub = ChatHub()
        app: FastAPI = create_app(settings, conversation, store, engine, None)
        app.include_router(chat_router(conversation, hub))
        install_chat_pages(app)

        @app.post("/test/drop")  # the test's own hook: a gateway restart, seen by the page
        async def drop(refuse: bool = True) -> dict[str, int]:
            hub.draining = refuse
            return {"closed": await hub.close_all()}

        with Served(app) as served:
            yield Local(served.url, store, hub)


class _HostSite:
    """Another web site (another port): a plain page with the one script tag."""

    def __init__(self, bot_url: str) -> None:
        body = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            "<title>海川市人民政府</title><style>body{font:16px sans-serif;margin:2rem}</style>"
            "</head><body><h1>海川市人民政府门户网站</h1><p>政务公开 · 办事服务 · 互动交流</p>"
            f'<script src="{bot_url}/static/widget.js" data-title="在线客服"></script>'
            "</body></html>"
        ).encode()

        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _HostSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_widget_on_another_site_opens_the_chat_and_answers(
    local: Local, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    try:
        with _HostSite(local.url) as site:
            page.goto(site.url)
            launcher = page.locator("#hotline-chat-widget .launcher")
            assert launcher.inner_text() == "在线客服"
            assert page.locator("#hotline-chat-widget iframe").count() == 0  # not loaded yet
            shot(page, "5_widget_closed")
            launcher.click()
            frame = page.frame_locator("#hotline-chat-widget iframe")
            frame.locator("#input").fill("身份证丢了怎么办")
            frame.locator("#send").click()
            frame.locator(".msg.bot", has_text="派出所申请补领").wait_for(timeout=30_000)
            src = page.locator("#hotline-chat-widget iframe").get_attribute("src")
            inner = next(f for f in page.frames if f.url.startswith(local.url))
            # The answer shows as its message frame arrives; the turn ends with the reply.
            inner.wait_for_function("() => window.chatState.replies.length === 1")
            via = inner.evaluate("() => window.chatState.replies[0].via")
            embedded = inner.evaluate("() => document.body.classList.contains('embed')")
            shot(page, "6_widget_open")
            frame.locator("#close").click()  # the frame asks its host page to close it
            page.locator("#hotline-chat-widget .panel").wait_for(state="hidden")
            assert launcher.get_attribute("aria-expanded") == "false"
    finally:
        context.close()
    assert src == f"{local.url}/chat?embed=1"
    assert via == "ws" and embedded


def test_a_dropped_socket_falls_back_to_rest_reconnects_and_keeps_the_conversation(
    local: Local, browser: Any
) -> None:
    import httpx

    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{local.url}/chat")
        connected(page)
        first = ask(page, "身份证丢了怎么办", 0)
        assert httpx.post(f"{local.url}/test/drop").json() == {"closed": 1}
        page.wait_for_function("() => window.chatState.transport === 'rest'", timeout=10_000)
        second = ask(page, "身份证到期了怎么换", 1)  # while no socket is allowed
        shot(page, "7_dropped_rest")
        httpx.post(f"{local.url}/test/drop", params={"refuse": "false"})
        connected(page, timeout=60_000)  # back-off: 1 s, 2 s, 4 s, ...
        third = ask(page, "身份证办理进度怎么查", 2)
        state = page.evaluate("() => window.chatState")
        page.reload()
        page.wait_for_function("() => window.chatState.messages.length > 0")
        restored = page.evaluate("() => window.chatState")
        shown_user = page.locator(".msg.user").all_inner_texts()
        shown_bot = page.locator(".msg.bot").all_inner_texts()
        shot(page, "8_reloaded")
        page.click("#restart")
        fresh = page.evaluate("() => window.chatState")
        ended = wait_ended(local.store, state["sessionId"])
    finally:
        context.close()
    assert [first["via"], second["via"], third["via"]] == ["ws", "rest", "ws"]
    assert state["connects"] >= 2
    assert state["chunks"] == 6  # the two socket answers streamed in three pieces each
    asked = ["身份证丢了怎么办", "身份证到期了怎么换", "身份证办理进度怎么查"]
    assert shown_user == asked
    assert sum("派出所申请补领" in text for text in shown_bot) == 3
    assert restored["sessionId"] == state["sessionId"]
    turns = local.store.get_turns(state["sessionId"])
    assert [t.text for t in turns] == asked  # one session across both transports
    assert fresh["sessionId"] != state["sessionId"] and len(fresh["messages"]) == 1
    assert ended  # 新对话 closed the old session in the store


def test_markup_in_an_answer_shows_as_text_and_never_runs(local: Local, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{local.url}/chat")
        connected(page)
        ask(page, "网页测试", 0)
        ask(page, "身份证丢了", 1)
        checks = []
        for _ in range(2):  # as answered, then as restored from sessionStorage
            page.wait_for_timeout(300)  # an onerror would have fired by now
            bubble = page.locator(".msg.bot", has_text="window.__xss = 1")
            checks.append({
                "ran": page.evaluate("() => window.__xss === undefined ? null : window.__xss"),
                "elements": page.locator("#messages script, #messages img").count(),
                "text": bubble.inner_text(),
                "links": page.eval_on_selector_all(
                    "#messages a", "as => as.map(a => [a.href, a.rel, a.target, a.textContent])"),
            })
            shot(page, "9_markup_as_text")
            page.reload()
            page.wait_for_function("() => window.chatState.messages.length > 1")
    finally:
        context.close()
    for check in checks:
        assert check["ran"] is None and check["elements"] == 0
        assert XSS_ANSWER.replace("\n", "") in check["text"].replace("\n", "")
        assert check["links"] == [["https://zwfw.haichuan.example/progress",
                                   "noopener noreferrer", "_blank",
                                   "https://zwfw.haichuan.example/progress"]]


def test_a_page_whose_socket_is_refused_chats_over_rest_until_it_connects(
    local: Local, browser: Any
) -> None:
    local.hub.draining = True  # the socket is refused from the first try
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{local.url}/chat")
        page.wait_for_function("() => window.chatState.transport === 'rest'", timeout=10_000)
        status = page.inner_text("#status")
        over_rest = ask(page, "身份证丢了怎么办", 0)
        local.hub.draining = False
        connected(page, timeout=60_000)
        over_ws = ask(page, "身份证到期了怎么换", 1)
        sid = page.evaluate("() => window.chatState.sessionId")
    finally:
        context.close()
    assert status == "重新连接中…"
    assert (over_rest["via"], over_rest["decision"]) == ("rest", "answer")
    assert over_ws["via"] == "ws"
    assert len(local.store.get_turns(sid)) == 2


def test_an_over_long_question_is_stopped_with_a_polite_message(
    local: Local, browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{local.url}/chat")
        connected(page)
        limit = SERVER_MAX_CHARS
        page.fill("#input", "问" * (limit + 1))
        page.press("#input", "Enter")
        page.wait_for_selector("#notice:not([hidden])")
        shot(page, "10_too_long")
        refused = {
            "notice": page.inner_text("#notice"),
            "counter": page.inner_text("#counter"),
            "send_disabled": page.is_disabled("#send"),
            "reason": page.inner_text("#limit-reason"),
            "reason_shown": page.is_visible("#limit-reason"),
            "sent": page.locator(".msg.user").count(),
        }
        page.fill("#input", "问" * limit)
        allowed = page.is_enabled("#send")
        reason_after = page.is_visible("#limit-reason")
    finally:
        context.close()
    assert f"超过了 {limit} 字" in refused["notice"] and "请简要说明" in refused["notice"]
    assert refused["counter"] == f"{limit + 1}/{limit}" and refused["send_disabled"]
    assert refused["reason_shown"] and refused["reason"] == f"超出字数上限（{limit} 字）"
    assert refused["sent"] == 0
    assert allowed and not reason_after
