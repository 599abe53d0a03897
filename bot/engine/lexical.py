"""BM25 over jieba terms of every question row, aggregated per entry like the dense score.

Scores are relative to the best entry for the query (the top entry gets 1.0), because raw
BM25 grows with query length and has no fixed scale to blend with a cosine.
"""

from __future__ import annotations

import numpy as np

from bot.index.bm25 import Bm25Index
from bot.text.tokenize import HotlineTokenizer

TOP_ENTRIES = 20


class LexicalScorer:
    def __init__(self, tokenizer: HotlineTokenizer, row_texts: list[str]) -> None:
        self.tokenizer = tokenizer
        self.index = Bm25Index.build([tokenizer.terms(t) for t in row_texts])

    def entry_scores(
        self, normalized_query: str, row_entry: np.ndarray, n_entries: int
    ) -> dict[int, float]:
        terms = self.tokenizer.terms(normalized_query)
        if not terms:
            return {}
        row_scores = np.asarray(self.index.scores(terms), dtype=np.float32)
        per_entry = np.zeros(n_entries, dtype=np.float32)
        np.maximum.at(per_entry, row_entry, row_scores)
        top = float(per_entry.max())
        if top <= 0:
            return {}
        best = np.argsort(-per_entry)[:TOP_ENTRIES]
        return {int(e): float(per_entry[e] / top) for e in best if per_entry[e] > 0}
