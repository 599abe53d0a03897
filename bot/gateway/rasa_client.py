"""The gateway's client of the rasa server's REST channel and HTTP API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """The rasa server cannot be reached or answered with an error."""


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [dict(b) for b in self.buttons]}


@dataclass(frozen=True)
class RasaTurn:
    messages: tuple[BotMessage, ...]
    custom: dict[str, Any] = field(default_factory=dict)  # the actions' FAQ/outcome payload


@dataclass(frozen=True)
class DialogState:
    intent: str | None = None
    confidence: float | None = None
    awaiting: str | None = None  # the slot an active form asks for, e.g. wo_where


def parse_rest_response(items: list[dict[str, Any]]) -> RasaTurn:
    """Split the REST channel's list into bot messages and the merged custom payload."""
    messages: list[BotMessage] = []
    custom: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("custom"), dict):
            custom.update(item["custom"])
        text = item.get("text")
        if isinstance(text, str) and text:
            buttons = tuple(
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in item.get("buttons") or []
                if isinstance(b, dict)
            )
            messages.append(BotMessage(text, buttons))
    return RasaTurn(tuple(messages), custom)


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s)

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        payload = {"sender": sender, "message": text, "metadata": metadata}
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=payload)
            response.raise_for_status()
            items = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise RasaUnavailable(f"rasa at {self.base_url} failed: {err}") from err
        if not isinstance(items, list):
            raise RasaUnavailable(f"rasa at {self.base_url} returned {type(items).__name__}")
        return parse_rest_response(items)

    async def dialog_state(self, sender: str) -> DialogState:
        """The intent rasa's NLU gave the sender's last message and the slot a form is
        waiting for (all None when the tracker cannot be read)."""
        try:
            response = await self._client.get(
                f"/conversations/{sender}/tracker", params={"include_events": "NONE"}
            )
            response.raise_for_status()
            tracker = response.json()
        except (httpx.HTTPError, ValueError) as err:
            log.warning("could not read rasa tracker of %s: %s", sender, err)
            return DialogState()
        intent = (tracker.get("latest_message") or {}).get("intent") or {}
        confidence = intent.get("confidence")
        loop = (tracker.get("active_loop") or {}).get("name")
        slots = tracker.get("slots") or {}
        return DialogState(
            intent=intent.get("name"),
            confidence=float(confidence) if confidence is not None else None,
            awaiting=slots.get("requested_slot") if loop else None,
        )

    async def status(self) -> dict[str, Any]:
        try:
            response = await self._client.get("/status", timeout=2.0)
            response.raise_for_status()
            body = response.json()
            return {"status": "ok", "model": body.get("model_file")}
        except (httpx.HTTPError, ValueError) as err:
            return {"status": "down", "error": str(err)[:200]}
