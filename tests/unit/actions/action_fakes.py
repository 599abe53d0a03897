"""Fakes for the action tests: an FAQ engine returning FaqResults we construct, an in-memory
store that records its calls, and hand-built trackers like the ones rasa sends."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.engine.types import Decision, FaqMatch, FaqResult
from bot.kb.model import FaqEntry
from bot.store.base import WorkOrder

ENTRIES = {
    "F001": FaqEntry("F001", "社保", "社保卡丢了怎么补办", ("社保卡掉了",), "到社保网点补办。"),
    "F002": FaqEntry("F002", "社保", "社保卡如何激活", ("社保卡怎么激活",), "在银行激活。"),
    "F003": FaqEntry("F003", "医保", "医保卡怎么挂失", (), "拨打医保热线挂失。"),
}
SLOTS = (
    "dialog_state",
    "faq_candidates",
    "faq_answered",
    "faq_query",
    "next_offered",
    "wo_what",
    "wo_where",
    "wo_phone",
    "requested_slot",
)
SENDER = "session-1"


def make_result(
    decision: Decision, ids: list[str], scores: list[float], query: str = "社保卡丢了"
) -> FaqResult:
    matches = tuple(
        FaqMatch(
            faq_id=i,
            score=s,
            question=ENTRIES[i].question,
            matched_question=ENTRIES[i].question,
            answer=ENTRIES[i].answer,
            category=ENTRIES[i].category,
            department="",
            dense_score=s,
        )
        for i, s in zip(ids, scores, strict=True)
    )
    return FaqResult(query, query.strip(), decision, matches, 3.0, "v1")


class FakeEngine:
    def __init__(self, result: FaqResult | Exception | None = None) -> None:
        self.result = result or make_result(Decision.ANSWER, ["F001", "F002"], [0.93, 0.71])
        self.asked: list[str] = []

    def ask(self, text: str) -> FaqResult:
        self.asked.append(text)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    def entry(self, faq_id: str) -> FaqEntry | None:
        return ENTRIES.get(faq_id)


@dataclass
class FakeStore:
    fail: bool = False
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> None:
        if self.fail:
            raise ConnectionError("database is down")
        self.calls.append((name, args, kwargs))

    def named(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for n, a, k in self.calls if n == name]

    def start_session(self, *args: Any, **kwargs: Any) -> None:
        self._call("start_session", *args, **kwargs)

    def mark_answered(self, *args: Any, **kwargs: Any) -> None:
        self._call("mark_answered", *args, **kwargs)

    def end_session(self, *args: Any, **kwargs: Any) -> None:
        self._call("end_session", *args, **kwargs)

    def record_handover(self, *args: Any, **kwargs: Any) -> None:
        self._call("record_handover", *args, **kwargs)

    def record_feedback(self, *args: Any, **kwargs: Any) -> None:
        self._call("record_feedback", *args, **kwargs)

    def create_work_order(self, session_id: str, what: str, where: str, phone: str | None) -> Any:
        self._call("create_work_order", session_id, what, where, phone)
        return WorkOrder("GD20261203-000042", session_id, what, where, "138****5678")


def user_event(text: str, intent: str = "ask_question", channel: str = "chat") -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "text": text},
        "metadata": {"channel": channel},
    }


def bot_event(text: str, custom: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"custom": custom or None}}


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def faq_payload(candidates: list[tuple[str, float]], decision: str = "clarify") -> dict[str, Any]:
    return {
        "faq": {
            "decision": decision,
            "faq_id": None,
            "candidates": [{"faq_id": i, "score": s} for i, s in candidates],
            "normalized_query": "社保卡",
        },
        "outcome": None,
        "reason": None,
    }


def make_tracker(
    text: str,
    intent: str = "ask_question",
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    channel: str | None = "chat",
    active_loop: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker as rasa sends it: prior `events`, then the current user message."""
    latest = user_event(text, intent, channel or "chat")
    if channel is None:
        latest.pop("metadata")
    all_slots = {name: None for name in SLOTS}
    all_slots.update(slots or {})
    history = [{"event": "session_started"}, *(events or []), latest]
    return Tracker(
        SENDER,
        all_slots,
        latest["parse_data"] | {"metadata": latest.get("metadata", {})},
        history,
        False,
        None,
        active_loop or {},
        "action_listen",
    )


def run_action(
    action: Action, tracker: Tracker, domain: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))  # type: ignore[arg-type]
    return dispatcher.messages, events


def customs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The non-empty custom payloads: the REST channel returns each as its own element."""
    return [m["custom"] for m in messages if m.get("custom")]
