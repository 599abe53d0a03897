"""Character n-gram TF-IDF cosine: the lexical baseline the FAQ engine is measured against.

Needs no segmentation, so it is immune to jieba's mistakes but blind to word boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bot.errors import ConfigError, IndexBuildError
from bot.text.normalize import normalize


class CharTfidfIndex:
    """Cosine similarity of a query to every document over character n-grams (sublinear tf)."""

    def __init__(self, vectorizer: Any, matrix: Any, normalizer: Callable[[str], str]) -> None:
        self._vectorizer = vectorizer
        self._matrix = matrix  # documents x n-grams, rows L2-normalised
        self._normalizer = normalizer

    @property
    def n_docs(self) -> int:
        return int(self._matrix.shape[0])

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        ngram_range: tuple[int, int] = (1, 2),
        normalizer: Callable[[str], str] = normalize,
    ) -> CharTfidfIndex:
        """Index `texts`, each passed through `normalizer` (the bot's `normalize` by default)."""
        low, high = ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"ngram_range={ngram_range!r} needs 1 <= min <= max, e.g. (1, 2)")
        if isinstance(texts, str):
            raise TypeError("texts must be a list of documents (str), got one str")
        try:
            from sklearn.feature_extraction.text import TfidfVectorizer
        except ImportError as err:
            raise ConfigError(
                "scikit-learn is not installed; run `.venv/bin/pip install -r requirements/app.txt`"
            ) from err
        normalized = [normalizer(t) for t in texts]
        if not any(normalized):
            raise IndexBuildError(
                f"none of the {len(normalized)} texts has a letter or digit left after "
                "normalisation; a character TF-IDF index needs at least one"
            )
        vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=ngram_range, lowercase=False, sublinear_tf=True
        )
        matrix = vectorizer.fit_transform(normalized)
        return cls(vectorizer, matrix.tocsr(), normalizer)

    def scores(self, query: str) -> np.ndarray:
        """Cosine of `query` to every document (float64 in [0, 1], length n_docs)."""
        if not isinstance(query, str):
            raise TypeError(f"query must be str, got {type(query).__name__}")
        vector = self._vectorizer.transform([self._normalizer(query)])
        return np.asarray((self._matrix @ vector.T).toarray()).ravel()
