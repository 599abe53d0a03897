"""The running gateway's conversation, over HTTP: the same `handle`/`end` as the in-process
ConversationService, so a VoiceSession can run against a bot started with `bot serve`
(recorded calls replayed by `bot replay-audio`)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.errors import BotError
from bot.gateway.conversation import ChatReply
from bot.gateway.rasa_client import BotMessage
from bot.store.base import Candidate, Channel


class GatewayError(BotError):
    """The gateway did not answer a turn."""


def reply_from_json(body: dict[str, Any]) -> ChatReply:
    messages = tuple(
        BotMessage(str(m.get("text", "")), tuple(dict(b) for b in m.get("buttons") or ()))
        for m in body.get("messages") or ()
        if isinstance(m, dict)
    )
    candidates = tuple(
        Candidate(str(c["faq_id"]), float(c["score"]))
        for c in body.get("candidates") or ()
        if isinstance(c, dict) and "faq_id" in c and "score" in c
    )
    return ChatReply(
        session_id=str(body["session_id"]),
        messages=messages,
        decision=str(body.get("decision") or "reply"),
        faq_id=body.get("faq_id"),
        candidates=candidates,
        outcome=body.get("outcome"),
        degraded=bool(body.get("degraded")),
        latency_ms=float(body.get("latency_ms") or 0.0),
        intent=body.get("intent"),
        intent_confidence=body.get("intent_confidence"),
        awaiting=body.get("awaiting"),
    )


class RemoteConversation:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client  # base_url = the gateway
        self.replies: list[ChatReply] = []  # every turn's reply, in order (for reports)

    async def handle(
        self,
        session_id: str,
        text: str,
        channel: Channel = Channel.VOICE,
        asr_confidence: float | None = None,
    ) -> ChatReply:
        # asr_confidence: recorded by gateways whose /api/chat takes it; ignored by others.
        payload = {
            "text": text,
            "session_id": session_id,
            "channel": channel.value,
            "asr_confidence": asr_confidence,
        }
        try:
            response = await self.client.post("/api/chat", json=payload)
            response.raise_for_status()
            reply = reply_from_json(response.json())
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as err:
            raise GatewayError(f"POST {self.client.base_url}/api/chat failed: {err}") from err
        self.replies.append(reply)
        return reply

    async def end(self, session_id: str) -> dict[str, Any]:
        """End the session as the caller hanging up; the session's record as the gateway has it."""
        try:
            await self.client.post(f"/api/sessions/{session_id}/end")
            response = await self.client.get(f"/api/sessions/{session_id}")
            return response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError) as err:
            raise GatewayError(f"ending session {session_id} failed: {err}") from err
