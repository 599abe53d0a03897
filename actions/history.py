"""What the actions read from the tracker's event history, limited to the current session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa_sdk import Tracker

TRANSCRIPT_TURNS = 10
FALLBACK_INTENT = "nlu_fallback"
QUESTION_INTENT = "ask_question"


def session_events(tracker: Tracker) -> list[dict[str, Any]]:
    """Events since the last session start (and restart)."""
    events = list(tracker.events or [])
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") in ("session_started", "restart"):
            return events[i + 1 :]
    return events


def user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [e for e in session_events(tracker) if e.get("event") == "user"]


def intent_of(event: dict[str, Any]) -> str | None:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


def previous_user_intent(tracker: Tracker) -> str | None:
    """The intent of the user message before the latest one in this session."""
    users = user_events(tracker)
    return intent_of(users[-2]) if len(users) >= 2 else None


def transcript(tracker: Tracker, turns: int = TRANSCRIPT_TURNS) -> list[str]:
    texts = [e.get("text") for e in user_events(tracker)]
    return [t for t in texts if isinstance(t, str) and t.strip()][-turns:]


def first_question(tracker: Tracker) -> str:
    """The session's first question (ask_question), else its first user text."""
    users = [e for e in user_events(tracker) if isinstance(e.get("text"), str) and e["text"]]
    for event in users:
        if intent_of(event) == QUESTION_INTENT:
            return str(event["text"])
    return str(users[0]["text"]) if users else ""


def answered_ids(tracker: Tracker) -> list[str]:
    """The faq_ids answered in this session, in order, each once."""
    seen: list[str] = []
    for event in session_events(tracker):
        if event.get("event") == "slot" and event.get("name") == "faq_answered":
            value = event.get("value")
            if isinstance(value, str) and value and value not in seen:
                seen.append(value)
    current = tracker.get_slot("faq_answered")
    if isinstance(current, str) and current and current not in seen:
        seen.append(current)
    return seen


def last_faq_payload(tracker: Tracker) -> dict[str, Any]:
    """The `faq` part of the latest custom payload the bot sent in this session, or {}."""
    for event in reversed(session_events(tracker)):
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom") or {}
        faq = custom.get("faq") if isinstance(custom, dict) else None
        if isinstance(faq, dict):
            return faq
    return {}


def last_bot_text(tracker: Tracker) -> str:
    for event in reversed(session_events(tracker)):
        if event.get("event") == "bot":
            text = event.get("text")
            return text if isinstance(text, str) else ""
    return ""


def known_candidates(tracker: Tracker) -> list[dict[str, Any]]:
    """The ranked candidates in the faq_candidates slot, with the scores the last payload
    carried (None where no payload gave one)."""
    scores = {
        c.get("faq_id"): c.get("score")
        for c in last_faq_payload(tracker).get("candidates") or []
        if isinstance(c, dict)
    }
    return [{"faq_id": faq_id, "score": scores.get(faq_id)} for faq_id in candidate_ids(tracker)]


def candidate_ids(tracker: Tracker) -> list[str]:
    value = tracker.get_slot("faq_candidates")
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str | int) and str(v)]
