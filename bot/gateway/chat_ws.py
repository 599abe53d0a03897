"""The chat WebSocket, `/ws/chat`: the citizen chat page's streaming face. Every turn goes
through the same ConversationService.handle as POST /api/chat (the page falls back to that
endpoint when the socket cannot connect), so the two transports share sessions and records.

Client -> server (JSON text frames, at most MAX_FRAME_CHARS characters):
  {"type": "message", "text": "...", "session_id": "..."?, "id": "..."?}
      session_id: the conversation's (the page keeps it, so a reconnect resumes it); when
      omitted, the connection's (from ?session_id= or the last message) or a new one.
      id: the client's name for this turn (<= 64 chars), echoed in every frame it causes.
  {"type": "ping"}  -> {"type": "pong"}
Server -> client:
  {"type": "ready", "session_id": str|null, "max_chars": n}  once, right after connecting
  {"type": "typing", "id"}                          the turn was accepted
  {"type": "chunk", "id", "index": i, "text"}       a piece (a sentence) of bot message i
  {"type": "message", "id", "index": i, "text", "buttons"}   bot message i, complete
  {"type": "reply", "id", ...ChatReply.to_dict()}   the turn is over
  {"type": "error", "code", "message", "id"?}       bad frame or failed turn; socket stays open
Close codes: 1008 after MAX_ERRORS bad frames; 1012 when the gateway drains (restart);
1013 when a draining gateway refuses a new connection (the page retries / uses REST).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot.gateway.app import SESSION_ID
from bot.gateway.conversation import ConversationService
from bot.store.base import Channel

log = logging.getLogger(__name__)

# Characters, not bytes: a frame with a 2000-character question is ~2 KB of text even
# JSON-escaped; this leaves room for that while refusing pasted documents early.
MAX_FRAME_CHARS = 16 * 1024
MAX_ERRORS = 50
MAX_ID_CHARS = 64
# A piece of a streamed answer: up to and including a sentence end (or a line break).
_SENTENCE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+|\n+)|[^。！？!?；;\n]+")
MAX_CHUNK_CHARS = 80

INTERNAL = "系统暂时出现问题，请稍后再试或拨打 12345 转人工。"
RATE_LIMITED = "您发送得太快了，请稍等几秒再发。"


def split_chunks(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[str]:
    """Sentence-sized pieces whose concatenation is exactly `text`."""
    pieces: list[str] = []
    for sentence in _SENTENCE.findall(text):
        # A long run without punctuation (a list of addresses) still streams in parts.
        pieces.extend(sentence[i:i + max_chars] for i in range(0, len(sentence), max_chars))
    return pieces or [text]


@dataclass
class RateLimit:
    """At most `messages` turns per `window_s` seconds on one connection (sliding window)."""

    messages: int = 8
    window_s: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _sent: deque[float] = field(default_factory=deque, repr=False)

    def allow(self) -> bool:
        now = self.clock()
        while self._sent and now - self._sent[0] >= self.window_s:
            self._sent.popleft()
        if len(self._sent) >= self.messages:
            return False
        self._sent.append(now)
        return True


class ChatHub:
    """The open chat sockets, so a restarting gateway can drain them: refuse new ones and
    close the open ones (the pages reconnect to another replica or fall back to REST)."""

    def __init__(self) -> None:
        self.sockets: set[WebSocket] = set()
        self.draining = False

    async def close_all(self, code: int = 1012, reason: str = "service restarting") -> int:
        closing = list(self.sockets)
        for ws in closing:
            try:
                await ws.close(code=code, reason=reason)
            except Exception:  # noqa: BLE001 - already gone
                pass
        return len(closing)


class _Connection:
    def __init__(
        self, ws: WebSocket, conversation: ConversationService, limit: RateLimit,
        chunk_delay_s: float,
    ) -> None:
        self.ws = ws
        self.conversation = conversation
        self.limit = limit
        self.chunk_delay_s = chunk_delay_s
        self.errors = 0
        raw = ws.query_params.get("session_id")
        self.session_id = raw if raw and SESSION_ID.match(raw) else None

    async def error(self, code: str, message: str, turn_id: str | None = None) -> bool:
        """Report a bad frame; False once the client has sent too many (then close 1008)."""
        self.errors += 1
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if turn_id is not None:
            frame["id"] = turn_id
        await self.ws.send_json(frame)
        if self.errors >= MAX_ERRORS:
            await self.ws.close(code=1008, reason="too many bad frames")
            return False
        return True

    async def run(self) -> None:
        await self.ws.send_json({"type": "ready", "session_id": self.session_id,
                                 "max_chars": self.conversation.max_chars})
        while True:
            frame = await self.ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            if frame.get("text") is None:
                ok = await self.error("binary_not_supported", "只接受 JSON 文本消息")
            else:
                ok = await self.on_text(frame["text"])
            if not ok:
                return

    async def on_text(self, raw: str) -> bool:
        if len(raw) > MAX_FRAME_CHARS:
            return await self.error(
                "frame_too_large", f"消息有 {len(raw)} 个字符，超过上限 {MAX_FRAME_CHARS}")
        try:
            message = json.loads(raw)
        except ValueError:
            return await self.error("bad_json", "消息不是合法的 JSON")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return await self.error("bad_message", "消息必须是带 type 字段的 JSON 对象")
        kind = message["type"]
        if kind == "ping":
            await self.ws.send_json({"type": "pong"})
            return True
        if kind == "message":
            return await self.on_message(message)
        return await self.error(
            "unknown_type", f"未知的消息类型 {kind[:40]!r}；可用：message、ping")

    async def on_message(self, message: dict[str, Any]) -> bool:
        turn_id = message.get("id")
        if turn_id is not None and (not isinstance(turn_id, str) or len(turn_id) > MAX_ID_CHARS):
            return await self.error("invalid_id", f"id 必须是不超过 {MAX_ID_CHARS} 个字符的字符串")
        text = message.get("text")
        if not isinstance(text, str):
            return await self.error("invalid_text", "text 必须是文字", turn_id)
        sid = message.get("session_id")
        if sid is not None and (not isinstance(sid, str) or not SESSION_ID.match(sid)):
            return await self.error(
                "invalid_session_id", "session_id 只能包含字母、数字和 _ . : -，长度 1-128",
                turn_id)
        if not self.limit.allow():
            return await self.error("rate_limited", RATE_LIMITED, turn_id)
        self.session_id = sid or self.session_id or uuid.uuid4().hex
        await self.ws.send_json({"type": "typing", "id": turn_id})
        try:
            reply = await self.conversation.handle(self.session_id, text, Channel.CHAT)
        except Exception:
            log.exception("chat turn of session %s failed", self.session_id)
            return await self.error("internal_error", INTERNAL, turn_id)
        for index, bot_message in enumerate(reply.messages):
            pieces = split_chunks(bot_message.text)
            if len(pieces) > 1:
                for piece in pieces:
                    await self.ws.send_json(
                        {"type": "chunk", "id": turn_id, "index": index, "text": piece})
                    if self.chunk_delay_s:
                        await asyncio.sleep(self.chunk_delay_s)
            await self.ws.send_json({"type": "message", "id": turn_id, "index": index,
                                     **bot_message.to_dict()})
        await self.ws.send_json({"type": "reply", "id": turn_id, **reply.to_dict()})
        return True


def chat_router(
    conversation: ConversationService,
    hub: ChatHub | None = None,
    rate_limit: Callable[[], RateLimit] = RateLimit,
    chunk_delay_s: float = 0.03,
) -> APIRouter:
    """`hub`: pass one to drain the sockets at shutdown; `rate_limit` makes each
    connection's limiter; `chunk_delay_s` paces the pieces of a long answer so the page
    shows it growing rather than all at once."""
    hub = hub if hub is not None else ChatHub()
    router = APIRouter()

    @router.websocket("/ws/chat")
    async def chat(ws: WebSocket) -> None:
        if hub.draining:
            await ws.close(code=1013, reason="gateway draining; use POST /api/chat")
            return
        await ws.accept()
        hub.sockets.add(ws)
        connection = _Connection(ws, conversation, rate_limit(), chunk_delay_s)
        try:
            await connection.run()
        except WebSocketDisconnect:
            pass
        except Exception:  # a send to a client that just left, or a bug: end this socket only
            log.exception("chat socket failed")
            try:
                await ws.close(code=1011)
            except Exception:  # noqa: BLE001 - already closed
                pass
        finally:
            hub.sockets.discard(ws)

    return router
