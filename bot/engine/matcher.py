"""Ranking FAQ entries for a query over one loaded index version.

Every standard and similar question is one row of the vector index; a row hit counts for
its entry, and an entry scores as its best-matching question. The lexical (BM25) score is
blended in only when a version was built with a non-zero lexical weight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from bot.embed.base import Embedder
from bot.engine.calibrate import ScoredQuery, decide
from bot.engine.lexical import LexicalScorer
from bot.engine.types import Decision, FaqMatch, FaqResult, Thresholds
from bot.index.vectors import VectorIndex
from bot.kb.model import FaqEntry
from bot.text.normalize import normalize

# How many nearest question rows to look at; several rows belong to one entry.
ROW_NEIGHBOURS = 64
MAX_CHOICES = 3


@dataclass(frozen=True)
class _Ranked:
    entry_index: int
    score: float
    dense: float
    lexical: float
    row: int


class FaqMatcher:
    def __init__(
        self,
        entries: tuple[FaqEntry, ...],
        row_entry: np.ndarray,
        row_texts: list[str],
        vectors: VectorIndex,
        embedder: Embedder,
        thresholds: Thresholds,
        version: str,
        lexical: LexicalScorer | None = None,
        lexical_weight: float = 0.0,
    ) -> None:
        self.entries = entries
        self.row_entry = row_entry
        self.row_texts = row_texts
        self.vectors = vectors
        self.embedder = embedder
        self.thresholds = thresholds
        self.version = version
        self.lexical = lexical if lexical_weight > 0 else None
        self.lexical_weight = lexical_weight
        self._by_id = {e.faq_id: e for e in entries}
        self._embed_query = lru_cache(maxsize=4096)(self._embed_uncached)

    def entry(self, faq_id: str) -> FaqEntry | None:
        return self._by_id.get(faq_id)

    def _embed_uncached(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def _rank(self, normalized: str, today: date | None) -> list[_Ranked]:
        if not normalized or self.vectors.size == 0:
            return []
        scores, rows = self.vectors.search(self._embed_query(normalized), ROW_NEIGHBOURS)
        best: dict[int, tuple[float, int]] = {}
        for score, row in zip(scores.tolist(), rows.tolist()):
            if row < 0:
                continue
            e = int(self.row_entry[row])
            if e not in best or score > best[e][0]:
                best[e] = (score, row)
        lex: dict[int, float] = {}
        if self.lexical is not None:
            lex = self.lexical.entry_scores(normalized, self.row_entry, len(self.entries))
            for e in lex:
                best.setdefault(e, (self._dense_of(normalized, e), -1))
        ranked = []
        w = self.lexical_weight
        for e, (dense, row) in best.items():
            if today is not None and not self.entries[e].is_valid_on(today):
                continue  # expired or not yet valid entries are never offered
            lexical = lex.get(e, 0.0)
            ranked.append(_Ranked(e, (1 - w) * dense + w * lexical, dense, lexical, row))
        ranked.sort(key=lambda r: r.score, reverse=True)
        return ranked

    def _dense_of(self, normalized: str, entry_index: int) -> float:
        rows = np.flatnonzero(self.row_entry == entry_index)
        if rows.size == 0:
            return 0.0
        q = self._embed_query(normalized)
        stored = np.stack([self.vectors.index.reconstruct(int(r)) for r in rows])  # type: ignore[attr-defined]
        return float((stored @ q).max())

    def _match(self, r: _Ranked) -> FaqMatch:
        e = self.entries[r.entry_index]
        return FaqMatch(
            faq_id=e.faq_id,
            score=round(r.score, 4),
            question=e.question,
            matched_question=self.row_texts[r.row] if r.row >= 0 else e.question,
            answer=e.answer,
            category=e.category,
            department=e.department,
            dense_score=round(r.dense, 4),
            lexical_score=round(r.lexical, 4),
        )

    def score_query(self, query: str, today: date | None = None) -> ScoredQuery:
        """The ranking features calibration and evaluation need (expected id left empty)."""
        ranked = self._rank(normalize(query), today)
        return ScoredQuery(
            expected_faq_id=None,
            ranked_ids=tuple(self.entries[r.entry_index].faq_id for r in ranked[:10]),
            top_score=ranked[0].score if ranked else 0.0,
            second_score=ranked[1].score if len(ranked) > 1 else 0.0,
        )

    def ask(self, query: str, today: date | None = None) -> FaqResult:
        started = time.perf_counter()
        normalized = normalize(query)
        ranked = self._rank(normalized, today or date.today())
        if ranked:
            second = ranked[1].score if len(ranked) > 1 else 0.0
            decision = decide(ranked[0].score, second, self.thresholds)
        else:
            decision = Decision.HANDOVER
        # An answer keeps the runners-up too: "not helped" offers the next candidate.
        candidates = tuple(self._match(r) for r in ranked[:MAX_CHOICES])
        return FaqResult(
            query=query,
            normalized_query=normalized,
            decision=decision,
            candidates=candidates,
            latency_ms=(time.perf_counter() - started) * 1000,
            index_version=self.version,
        )
