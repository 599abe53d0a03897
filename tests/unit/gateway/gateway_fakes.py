"""Fakes for the gateway tests: a rasa client whose replies we script (or that is down), an
FAQ engine whose decisions we script, and a tiny HTTP server standing in for the action
server's /health; `serve_app` runs an ASGI app on a real port for clients that need one."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.engine.types import Decision, FaqMatch, FaqResult
from bot.gateway.rasa_client import DialogState, RasaTurn, RasaUnavailable, parse_rest_response
from bot.kb.model import FaqEntry

ENTRIES = {
    "SFZ001": FaqEntry("SFZ001", "户政", "身份证丢了怎么补办", ("身份证掉了",),
                       "携带户口簿到户籍所在地派出所申请补领。", "公安局"),
    "SFZ002": FaqEntry("SFZ002", "户政", "身份证到期怎么换", ("身份证过期",),
                       "到期前三个月内到派出所换领。", "公安局"),
    "SB001": FaqEntry("SB001", "社保", "社保卡丢了怎么补办", ("社保卡掉了",),
                      "到社保网点挂失并补办。", "人社局"),
}
INDEX_VERSION = "v-test-1"


def match(faq_id: str, score: float) -> FaqMatch:
    e = ENTRIES[faq_id]
    return FaqMatch(faq_id, score, e.question, e.question, e.answer, e.category,
                    e.department, score)


def result(text: str, decision: Decision, ranked: list[tuple[str, float]]) -> FaqResult:
    return FaqResult(text, text, decision, tuple(match(f, s) for f, s in ranked), 1.0,
                     INDEX_VERSION)


class FakeEngine:
    """ask() answers from a script keyed by the exact text; anything else is handed over."""

    def __init__(self, script: dict[str, FaqResult] | None = None) -> None:
        self.script = script or {}
        self.asked: list[str] = []
        self.version: str | None = INDEX_VERSION
        self.published: str | None = None  # a version "published" since start

    def reload_if_changed(self) -> bool:
        if self.published is None or self.published == self.version:
            return False
        self.version = self.published
        return True

    def ask(self, text: str) -> FaqResult:
        self.asked.append(text)
        return self.script.get(text) or result(text, Decision.HANDOVER, [("SB001", 0.31)])

    def entry(self, faq_id: str) -> FaqEntry | None:
        return ENTRIES.get(faq_id)


def rest_items(*texts: str, custom: dict[str, Any] | None = None,
               buttons: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """What rasa's REST channel returns: one element per message, the custom payload as an
    element of its own."""
    items: list[dict[str, Any]] = [{"recipient_id": "x", "text": t} for t in texts]
    if buttons and items:
        items[-1]["buttons"] = buttons
    if custom is not None:
        items.append({"recipient_id": "x", "custom": custom})
    return items


def faq_payload(decision: str, faq_id: str | None, candidates: list[tuple[str, float]],
                outcome: str | None = None, reason: str | None = None) -> dict[str, Any]:
    return {
        "faq": {"decision": decision, "faq_id": faq_id,
                "candidates": [{"faq_id": f, "score": s} for f, s in candidates],
                "normalized_query": "q"},
        "outcome": outcome,
        "reason": reason,
    }


@dataclass
class FakeRasa:
    """Scripted replies by text; `down` makes every send fail like an unreachable server."""

    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    state: DialogState = field(default_factory=lambda: DialogState("ask_question", 0.97))
    down: bool = False
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    closed: bool = False

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        if self.down:
            raise RasaUnavailable("rasa at http://127.0.0.1:1 failed: connection refused")
        self.sent.append((sender, text, metadata))
        return parse_rest_response(self.replies.get(text, rest_items("好的。")))

    async def dialog_state(self, sender: str) -> DialogState:
        return self.state

    async def status(self) -> dict[str, Any]:
        if self.down:
            return {"status": "down", "error": "connection refused"}
        return {"status": "ok", "model": "hotline.tar.gz"}

    async def close(self) -> None:
        self.closed = True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def action_server_health() -> Iterator[int]:
    """A stand-in action server that answers GET /health with 200; yields its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_app(app: Any, timeout_s: float = 30.0) -> Iterator[int]:
    """Run `app` under uvicorn on a free loopback port in a thread; yields the port once it
    accepts connections and stops the server on exit."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test gateway did not start"
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
