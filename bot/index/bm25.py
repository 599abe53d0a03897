"""Okapi BM25 over pre-tokenised documents, as one sparse matrix of per-term document weights.

The BM25 weight of a term in a document does not depend on the query, so it is computed once
at build time; a query then sums the weight columns of its terms (one gather and one
`np.bincount`, ~0.1 ms at 100k documents).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.errors import IndexBuildError, ModelNotBuiltError


def _check_terms(terms: object, what: str) -> Sequence[str]:
    # A plain string would be read as a list of characters: a silent, plausible wrong answer.
    if isinstance(terms, str) or not isinstance(terms, Sequence):
        raise TypeError(
            f"{what} must be a list of terms (str), got {type(terms).__name__}; "
            "tokenize the text first (HotlineTokenizer.terms)"
        )
    return terms


class Bm25Index:
    """Scores every document against a query; document i is row i of the `docs` it was built on."""

    def __init__(
        self, vocabulary: dict[str, int], weights: sparse.csc_array, k1: float, b: float
    ) -> None:
        self.vocabulary = vocabulary
        self.weights = weights  # documents x terms, column-compressed: a term's postings
        self.k1 = k1
        self.b = b

    @property
    def n_docs(self) -> int:
        return int(self.weights.shape[0])

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> Bm25Index:
        """Index `docs` (each a list of terms); an empty list of documents gives an empty index."""
        if not k1 >= 0:
            raise ValueError(f"BM25 k1={k1!r} must be >= 0 (1.2-2.0 is usual)")
        if not 0 <= b <= 1:
            raise ValueError(f"BM25 b={b!r} must be between 0 and 1 (0.75 is usual)")
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        for row, doc in enumerate(_check_terms(docs, "docs")):
            for term, count in Counter(_check_terms(doc, f"docs[{row}]")).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        n_docs = len(docs)
        row_of = np.asarray(rows, dtype=np.int64)
        tf = sparse.csc_array(
            (np.asarray(counts, dtype=np.float64), (row_of, np.asarray(cols, dtype=np.int64))),
            shape=(n_docs, len(vocabulary)),
        )
        lengths = np.bincount(row_of, weights=counts, minlength=n_docs)
        mean_length = float(lengths.mean()) if n_docs and lengths.any() else 1.0
        # Lucene's non-negative IDF: a term in more than half the documents still counts > 0.
        df = np.diff(tf.indptr)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        # tf.data is in column (term) order; recover each entry's document and term.
        doc_of = tf.indices
        term_of = np.repeat(np.arange(len(vocabulary)), df)
        norm = k1 * (1 - b + b * lengths[doc_of] / mean_length)
        data = idf[term_of] * tf.data * (k1 + 1) / (tf.data + norm)
        weights = sparse.csc_array((data, tf.indices, tf.indptr), shape=tf.shape)
        return cls(vocabulary, weights, k1, b)

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document (float64, length n_docs); unknown terms add nothing.

        A term repeated in the query counts each time, as in the usual BM25 sum over query terms.
        """
        query = Counter(_check_terms(query_terms, "query_terms"))
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        docs: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for term, count in query.items():
            column = self.vocabulary.get(term)
            if column is None:
                continue
            start, end = indptr[column], indptr[column + 1]
            docs.append(indices[start:end])
            values.append(data[start:end] * count)
        if not docs:
            return np.zeros(self.n_docs)
        return np.bincount(
            np.concatenate(docs), weights=np.concatenate(values), minlength=self.n_docs
        )

    def save(self, path: Path) -> None:
        """Write the index as one .npz file (no pickle)."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        try:
            with open(path, "wb") as out:
                np.savez(
                    out,
                    terms=np.asarray(terms, dtype=str),
                    indptr=self.weights.indptr,
                    indices=self.weights.indices,
                    data=self.weights.data,
                    shape=np.asarray(self.weights.shape),
                    params=np.asarray([self.k1, self.b]),
                )
        except OSError as err:
            raise IndexBuildError(f"cannot write BM25 index {path}: {err.strerror}") from err

    @classmethod
    def load(cls, path: Path) -> Bm25Index:
        try:
            with np.load(path, allow_pickle=False) as saved:
                terms = [str(t) for t in saved["terms"]]
                shape = tuple(int(n) for n in saved["shape"])
                weights = sparse.csc_array(
                    (saved["data"], saved["indices"], saved["indptr"]), shape=shape
                )
                k1, b = (float(v) for v in saved["params"])
        except FileNotFoundError as err:
            raise ModelNotBuiltError(
                f"BM25 index {path} does not exist; build the FAQ index first"
            ) from err
        except (OSError, KeyError, ValueError) as err:
            raise ModelNotBuiltError(
                f"BM25 index {path} is damaged or not a BM25 index ({err}); rebuild the FAQ index"
            ) from err
        return cls({t: i for i, t in enumerate(terms)}, weights, k1, b)
