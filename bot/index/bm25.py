"""Okapi BM25 over pre-tokenised documents, as one sparse matrix of per-term document weights.

The BM25 weight of a term in a document does not depend on the query, so it is computed once
at build time; a query then sums the posting weights of its terms (one gather and one
`np.bincount` over all documents). numpy only.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

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
    """Scores every document against a query; document i is row i of the `docs` it was built on.

    The weights are stored column-compressed (CSC, numpy only): term t's postings are
    `indices[indptr[t]:indptr[t+1]]` (documents) with their BM25 weights in `data`.
    """

    def __init__(
        self,
        vocabulary: dict[str, int],
        indptr: np.ndarray,
        indices: np.ndarray,
        data: np.ndarray,
        n_docs: int,
        k1: float,
        b: float,
    ) -> None:
        self.vocabulary = vocabulary
        self.indptr = indptr
        self.indices = indices
        self.data = data
        self.n_docs = n_docs
        self.k1 = k1
        self.b = b

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
        n_docs, n_terms = len(docs), len(vocabulary)
        doc_of = np.asarray(rows, dtype=np.int64)
        term_of = np.asarray(cols, dtype=np.int64)
        tf = np.asarray(counts, dtype=np.float64)
        lengths = np.bincount(doc_of, weights=tf, minlength=n_docs)
        mean_length = float(lengths.mean()) if n_docs and lengths.any() else 1.0
        # Each (document, term) pair occurs once, so a term's document frequency is its count.
        df = np.bincount(term_of, minlength=n_terms)
        # Lucene's non-negative IDF: a term in more than half the documents still counts > 0.
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths[doc_of] / mean_length)
        weight = idf[term_of] * tf * (k1 + 1) / (tf + norm)
        order = np.argsort(term_of, kind="stable")  # group the postings by term
        indptr = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        return cls(vocabulary, indptr, doc_of[order], weight[order], n_docs, k1, b)

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document (float64, length n_docs); unknown terms add nothing.

        A term repeated in the query counts each time, as in the usual BM25 sum over query terms.
        """
        query = Counter(_check_terms(query_terms, "query_terms"))
        docs: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for term, count in query.items():
            column = self.vocabulary.get(term)
            if column is None:
                continue
            start, end = self.indptr[column], self.indptr[column + 1]
            docs.append(self.indices[start:end])
            values.append(self.data[start:end] * count)
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
                    indptr=self.indptr,
                    indices=self.indices,
                    data=self.data,
                    n_docs=np.asarray(self.n_docs),
                    params=np.asarray([self.k1, self.b]),
                )
        except OSError as err:
            raise IndexBuildError(f"cannot write BM25 index {path}: {err.strerror}") from err

    @classmethod
    def load(cls, path: Path) -> Bm25Index:
        try:
            with np.load(path, allow_pickle=False) as saved:
                terms = [str(t) for t in saved["terms"]]
                indptr, indices, data = saved["indptr"], saved["indices"], saved["data"]
                n_docs = int(saved["n_docs"])
                k1, b = (float(v) for v in saved["params"])
        except FileNotFoundError as err:
            raise ModelNotBuiltError(
                f"BM25 index {path} does not exist; build the FAQ index first"
            ) from err
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise ModelNotBuiltError(
                f"BM25 index {path} is damaged or not a BM25 index ({err}); rebuild the FAQ index"
            ) from err
        out_of_range = len(indices) > 0 and int(indices.max()) >= n_docs
        if len(indptr) != len(terms) + 1 or len(indices) != len(data) or out_of_range:
            raise ModelNotBuiltError(
                f"BM25 index {path} is inconsistent ({len(terms)} terms, {len(indptr)} offsets, "
                f"{len(indices)} postings, {len(data)} weights); rebuild the FAQ index"
            )
        return cls({t: i for i, t in enumerate(terms)}, indptr, indices, data, n_docs, k1, b)
