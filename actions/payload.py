"""The custom payload (rasa `json_message`) the gateway reads: one per turn, on its last message.

{"faq": {"decision", "faq_id", "candidates": [{"faq_id", "score"}], "normalized_query"},
 "outcome": null|"deflected"|"transferred"|"work_order", "reason": null|<TransferReason>}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa_sdk.executor import CollectingDispatcher

    from bot.engine.types import FaqResult

ANSWER = "answer"
CLARIFY = "clarify"
HANDOVER = "handover"
WORK_ORDER = "work_order"


def build(
    decision: str,
    *,
    faq_id: str | None = None,
    candidates: Iterable[dict[str, Any]] = (),
    normalized_query: str = "",
    outcome: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "faq": {
            "decision": decision,
            "faq_id": faq_id,
            # Only candidates with a known score: the gateway records them as floats.
            "candidates": [
                {"faq_id": str(c["faq_id"]), "score": float(c["score"])}
                for c in candidates
                if isinstance(c.get("score"), int | float)
            ],
            "normalized_query": normalized_query,
        },
        "outcome": outcome,
        "reason": reason,
    }


def candidates_of(result: FaqResult) -> list[dict[str, Any]]:
    return [{"faq_id": c.faq_id, "score": round(float(c.score), 4)} for c in result.candidates]


def attach(dispatcher: CollectingDispatcher, payload: dict[str, Any]) -> None:
    """Put `payload` on the last message of this action, so the turn carries one custom
    element (the REST channel returns every non-empty `custom` as its own element)."""
    if not dispatcher.messages:
        dispatcher.utter_message(json_message=payload)
        return
    merged: dict[str, Any] = {}
    for message in dispatcher.messages:
        merged.update(message.get("custom") or {})
        message["custom"] = {}
    dispatcher.messages[-1]["custom"] = {**merged, **payload}
