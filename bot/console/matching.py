"""Scoring a draft entry the way the serving FaqMatcher scores its entries, without building
an index: only the draft's own texts are embedded.

The few FaqMatcher internals used here (_rank, _embed_query) are kept in this one module;
if the matcher grows public equivalents, only this file changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from bot.console.errors import ConsoleError
from bot.engine.matcher import FaqMatcher, embedding_text
from bot.engine.types import FaqMatch
from bot.errors import BotError
from bot.kb.model import FaqEntry


def serving_matcher(engine: Any) -> FaqMatcher:
    """The serving version's matcher (picking up a version published meanwhile)."""
    try:
        reload = getattr(engine, "reload_if_changed", None)
        if reload is not None:
            reload()
        matcher = engine.matcher
    except BotError as err:
        raise ConsoleError(503, "index_unavailable", f"FAQ 索引不可用：{err}") from err
    if not isinstance(matcher, FaqMatcher):
        raise ConsoleError(503, "index_unavailable", "FAQ 索引不可用：引擎没有加载索引版本")
    return matcher


def rank(matcher: FaqMatcher, text: str, today: date | None) -> list[FaqMatch]:
    """Every candidate entry for `text`, best first (the matcher's own ranking)."""
    return matcher._rank(text, today)


def query_vector(matcher: FaqMatcher, text: str) -> np.ndarray:
    """The query embedding `rank` uses (from the matcher's cache when already embedded)."""
    return matcher._embed_query(embedding_text(text))


@dataclass(frozen=True)
class DraftScore:
    score: float
    dense: float
    matched_question: str


class DraftVectors:
    """Passage vectors of one draft's questions and answer, with the matcher's blend."""

    def __init__(self, entry: FaqEntry, questions: np.ndarray, answer: np.ndarray,
                 matcher: FaqMatcher) -> None:
        self.entry = entry
        self.questions = questions
        self.answer = answer
        self.answer_weight = matcher.answer_weight
        # BM25 needs the draft inside the index's statistics; the draft gets none, which
        # can only understate it (and serving versions use lexical weight 0 by default).
        self.lexical_weight = matcher.lexical_weight

    def score(self, query: np.ndarray) -> DraftScore:
        sims = self.questions @ query
        best = int(sims.argmax())
        dense = float(sims[best])
        score = dense
        if self.answer_weight > 0:
            answer = float(self.answer @ query)
            score = (1 - self.answer_weight) * dense + self.answer_weight * answer
        score = (1 - self.lexical_weight) * score
        return DraftScore(round(score, 4), round(dense, 4), self.entry.all_questions[best])


class DraftEmbedder:
    """Embeds drafts, remembering the last few (an editor tries many questions on one)."""

    def __init__(self, size: int = 32) -> None:
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def vectors(self, entry: FaqEntry, matcher: FaqMatcher) -> DraftVectors:
        texts = tuple(embedding_text(t) for t in (*entry.all_questions, entry.answer))
        key = (matcher.embedder.name, texts)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is None:
            cached = matcher.embedder.embed_passages(list(texts))
            with self._lock:
                self._cache[key] = cached
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return DraftVectors(entry, cached[:-1], cached[-1], matcher)
