"""Before saving: near-duplicate entries and the queries a draft would steal; "try it":
what the draft knowledge base (serving index plus the draft) would answer.

For each of the draft's questions, asked as a citizen would ask it, the serving engine
ranks the existing entries. Near duplicates: entries scored at or above the clarify
threshold (a citizen asking that question is offered them today). Steals: the entry that
gets such a question today (top, at or above clarify), when the draft would score within
the decision margin of it or above: those citizens would get the draft, or a choice,
instead. Only the draft's own texts are embedded (bot/console/matching.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.console import matching
from bot.console.matching import DraftEmbedder
from bot.engine.calibrate import decide
from bot.engine.types import Decision
from bot.kb.model import FaqEntry
from bot.text.normalize import normalize

MAX_DUPLICATES = 10
MAX_CANDIDATES = 5


class Similarity:
    def __init__(self, engine: Any, drafts: DraftEmbedder | None = None) -> None:
        self.engine = engine
        self.drafts = drafts or DraftEmbedder()

    def check(self, draft: FaqEntry) -> dict[str, Any]:
        matcher = matching.serving_matcher(self.engine)
        thresholds = matcher.thresholds
        vectors = self.drafts.vectors(draft, matcher)
        duplicates: dict[str, dict[str, Any]] = {}
        steals: list[dict[str, Any]] = []
        for text in draft.all_questions:
            ranked = [m for m in matching.rank(matcher, text, None) if m.faq_id != draft.faq_id]
            for m in ranked:
                if m.score < thresholds.clarify:
                    break
                if m.faq_id not in duplicates or m.score > duplicates[m.faq_id]["score"]:
                    duplicates[m.faq_id] = {
                        "faq_id": m.faq_id, "question": m.question, "score": m.score,
                        "matched_question": m.matched_question, "draft_question": text,
                    }
            if not ranked or ranked[0].score < thresholds.clarify:
                continue  # nobody gets this question today: nothing to steal
            top = ranked[0]
            ours = vectors.score(matching.query_vector(matcher, text))
            if ours.score >= top.score - thresholds.margin:
                steals.append({
                    "question": text, "from_faq_id": top.faq_id,
                    "from_question": top.matched_question, "score": ours.score,
                    "from_score": top.score,
                })
        near = sorted(duplicates.values(), key=lambda d: -d["score"])[:MAX_DUPLICATES]
        return {"near_duplicates": near, "steals": steals}

    def try_text(self, text: str, draft: FaqEntry | None) -> dict[str, Any]:
        matcher = matching.serving_matcher(self.engine)
        today = date.today()
        candidates: list[dict[str, Any]] = [
            {"faq_id": m.faq_id, "question": m.question, "score": m.score,
             "matched_question": m.matched_question, "answer": m.answer, "draft": False}
            for m in matching.rank(matcher, text, today)
            if draft is None or m.faq_id != draft.faq_id
        ]
        if draft is not None and draft.is_valid_on(today) and normalize(text):
            ours = self.drafts.vectors(draft, matcher).score(matching.query_vector(matcher, text))
            candidates.append({
                "faq_id": draft.faq_id, "question": draft.question, "score": ours.score,
                "matched_question": ours.matched_question, "answer": draft.answer,
                "draft": True,
            })
        candidates.sort(key=lambda c: -c["score"])
        if candidates:
            second = candidates[1]["score"] if len(candidates) > 1 else 0.0
            decision = decide(candidates[0]["score"], second, matcher.thresholds)
        else:
            decision = Decision.HANDOVER
        top = candidates[0] if candidates and decision is Decision.ANSWER else None
        return {
            "decision": decision.value,
            "faq_id": top["faq_id"] if top else None,
            "answer": top["answer"] if top else None,
            "candidates": [
                {k: v for k, v in c.items() if k != "answer"} for c in candidates[:MAX_CANDIDATES]
            ],
            "thresholds": matcher.thresholds.to_dict(),
            "version": matcher.version,
        }
