"""Ranking FAQ entries for a query over one loaded index version.

An entry's score blends two cosines: its best-matching question (every standard and
similar question is one row of the question index) and its answer (one row of the answer
index; e5 was trained for query -> passage retrieval, and the answer names the situation in
words citizens use that the questions may not). On faq_eval_dev the blend lifted top-1 from
0.86 to 0.94 (bench/bench_faq.py). A jieba BM25 score is blended in only when a version was
built with a non-zero lexical weight.
"""

from __future__ import annotations

import time
from datetime import date
from functools import lru_cache

import numpy as np

from bot.embed.base import Embedder
from bot.engine.calibrate import ScoredQuery, decide
from bot.engine.lexical import LexicalScorer
from bot.engine.types import Decision, FaqMatch, FaqResult, Thresholds
from bot.index.vectors import VectorIndex
from bot.kb.model import FaqEntry
from bot.text.normalize import canonicalize, normalize

# How many nearest question rows / answers to look at; several rows belong to one entry.
ROW_NEIGHBOURS = 64
ANSWER_NEIGHBOURS = 16
MAX_CHOICES = 3


def embedding_text(text: str) -> str:
    """What the embedder sees: Simplified, half-width, lower-case, nothing removed
    (e5 ranks better on the full sentence than on the filler-stripped matching form)."""
    return canonicalize(text)


class FaqMatcher:
    def __init__(
        self,
        entries: tuple[FaqEntry, ...],
        row_entry: np.ndarray,
        row_texts: list[str],
        questions: VectorIndex,
        answers: VectorIndex | None,
        embedder: Embedder,
        thresholds: Thresholds,
        version: str,
        answer_weight: float = 0.0,
        lexical: LexicalScorer | None = None,
        lexical_weight: float = 0.0,
    ) -> None:
        self.entries = entries
        self.row_entry = row_entry
        self.row_texts = row_texts
        self.questions = questions
        self.answers = answers if answer_weight > 0 else None
        self.answer_weight = answer_weight if self.answers is not None else 0.0
        self.embedder = embedder
        self.thresholds = thresholds
        self.version = version
        self.lexical = lexical if lexical_weight > 0 else None
        self.lexical_weight = lexical_weight if self.lexical is not None else 0.0
        self._by_id = {e.faq_id: e for e in entries}
        order = np.argsort(row_entry, kind="stable")
        bounds = np.searchsorted(row_entry[order], np.arange(len(entries) + 1))
        self._entry_rows = [order[bounds[i] : bounds[i + 1]] for i in range(len(entries))]
        self._embed_query = lru_cache(maxsize=4096)(self._embed_uncached)

    def entry(self, faq_id: str) -> FaqEntry | None:
        return self._by_id.get(faq_id)

    def _embed_uncached(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def _question_scores(self, q: np.ndarray) -> dict[int, tuple[float, int]]:
        """Best question cosine and its row, per entry among the nearest rows."""
        best: dict[int, tuple[float, int]] = {}
        scores, rows = self.questions.search(q, ROW_NEIGHBOURS)
        for score, row in zip(scores.tolist(), rows.tolist(), strict=True):
            if row < 0:
                continue
            e = int(self.row_entry[row])
            if e not in best or score > best[e][0]:
                best[e] = (score, row)
        return best

    def _question_score_of(self, q: np.ndarray, e: int) -> tuple[float, int]:
        rows = self._entry_rows[e]
        stored = np.stack([self.questions.reconstruct(int(r)) for r in rows])
        sims = stored @ q
        i = int(sims.argmax())
        return float(sims[i]), int(rows[i])

    def _rank(self, query: str, today: date | None) -> list[FaqMatch]:
        normalized = normalize(query)
        if not normalized or self.questions.size == 0:
            return []
        q = self._embed_query(embedding_text(query))
        by_question = self._question_scores(q)
        by_answer: dict[int, float] = {}
        if self.answers is not None:
            scores, ids = self.answers.search(q, ANSWER_NEIGHBOURS)
            by_answer = {int(i): float(s) for s, i in zip(scores, ids, strict=True) if i >= 0}
        lexical: dict[int, float] = {}
        if self.lexical is not None:
            lexical = self.lexical.entry_scores(normalized, self.row_entry, len(self.entries))
        matches = []
        for e in set(by_question) | set(by_answer) | set(lexical):
            entry = self.entries[e]
            if today is not None and not entry.is_valid_on(today):
                continue  # expired or not yet valid entries are never offered
            dense, row = by_question.get(e) or self._question_score_of(q, e)
            score = dense
            if self.answers is not None:
                answer = by_answer.get(e)
                if answer is None:
                    answer = float(self.answers.reconstruct(e) @ q)
                score = (1 - self.answer_weight) * dense + self.answer_weight * answer
            lex = lexical.get(e, 0.0)
            score = (1 - self.lexical_weight) * score + self.lexical_weight * lex
            matches.append(
                FaqMatch(
                    faq_id=entry.faq_id,
                    score=round(score, 4),
                    question=entry.question,
                    matched_question=self.row_texts[row],
                    answer=entry.answer,
                    category=entry.category,
                    department=entry.department,
                    dense_score=round(dense, 4),
                    lexical_score=round(lex, 4),
                )
            )
        matches.sort(key=lambda m: m.score, reverse=True)
        return matches

    def score_query(self, query: str, today: date | None = None) -> ScoredQuery:
        """The ranking features calibration and evaluation need (expected id left empty)."""
        ranked = self._rank(query, today)
        return ScoredQuery(
            expected_faq_id=None,
            ranked_ids=tuple(m.faq_id for m in ranked[:10]),
            top_score=ranked[0].score if ranked else 0.0,
            second_score=ranked[1].score if len(ranked) > 1 else 0.0,
        )

    def ask(self, query: str, today: date | None = None) -> FaqResult:
        started = time.perf_counter()
        ranked = self._rank(query, today or date.today())
        if ranked:
            second = ranked[1].score if len(ranked) > 1 else 0.0
            decision = decide(ranked[0].score, second, self.thresholds)
        else:
            decision = Decision.HANDOVER
        return FaqResult(
            query=query,
            normalized_query=normalize(query),
            decision=decision,
            # An answer keeps the runners-up too: "not helped" offers the next candidate.
            candidates=tuple(ranked[:MAX_CHOICES]),
            latency_ms=(time.perf_counter() - started) * 1000,
            index_version=self.version,
        )
