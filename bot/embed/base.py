"""The `Embedder` seam, and the deterministic fake used by fast unit tests."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from bot.errors import InputError


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows of shape (n, dim).

    `name` identifies the model and its exact weights: index manifests and vector caches store
    it, and vectors made under another name are never mixed with these.
    """

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def load(self) -> None:
        """Load the model; idempotent, and called implicitly by the embed methods."""
        ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def check_texts(texts: list[str]) -> list[str]:
    """The texts as a list, or InputError naming the first item that is not a string."""
    if isinstance(texts, str):
        raise InputError(
            f"expected a list of texts, got one string {texts[:40]!r}; wrap it in [...]"
        )
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise InputError(f"text #{i} is {type(text).__name__} {text!r:.60}, not a string")
    return items


@lru_cache(maxsize=65536)
def _feature(token: str, dim: int) -> tuple[int, float]:
    digest = hashlib.sha256(token.encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:4], "little") % dim
    return bucket, 1.0 if digest[4] & 1 else -1.0


class FakeEmbedder:
    """Deterministic stand-in for a sentence model: hashed character unigrams and bigrams.

    Texts that share characters get a higher cosine, so retrieval tests can rely on "similar
    text -> similar vector" without a model. SHA-256 (not `hash()`, which is salted per
    process) picks each feature's bucket and sign. Queries and passages embed identically.
    """

    def __init__(self, dim: int = 64) -> None:
        if dim < 8:
            raise ValueError(f"FakeEmbedder dim={dim} is too small; use 8 or more")
        self.dim = dim
        self.name = f"fake-char-ngram-{dim}"

    def load(self) -> None:
        """Nothing to load."""

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        items = check_texts(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, text in enumerate(items):
            chars = [c for c in text if not c.isspace()]
            bigrams = [a + b for a, b in zip(chars, chars[1:], strict=False)]
            grams = [f"1:{c}" for c in chars] + [f"2:{g}" for g in bigrams]
            for gram in grams:
                bucket, sign = _feature(gram, self.dim)
                out[row, bucket] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm == 0.0:
                # No characters, or features that cancel out: a fixed vector seeded by the text.
                seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
                out[row] = np.random.default_rng(seed).standard_normal(self.dim)
                norm = float(np.linalg.norm(out[row]))
            out[row] /= norm
        return out
