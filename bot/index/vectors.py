"""FAISS over L2-normalised question embeddings (inner product = cosine).

Exact (flat) search for small bases; HNSW above `exact_max` vectors, where a flat scan
would blow the latency budget (see bench/bench_faq_latency.py for where the crossover lies).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def _faiss():  # type: ignore[no-untyped-def]
    try:
        import faiss
    except ImportError as err:  # pragma: no cover - faiss is pinned in requirements/app.txt
        raise ImportError("faiss-cpu is missing: run `make install`") from err
    return faiss


@dataclass
class VectorIndex:
    index: object  # faiss.Index
    kind: str  # "flat" or "hnsw"
    dim: int

    @classmethod
    def build(cls, vectors: np.ndarray, exact_max: int) -> VectorIndex:
        faiss = _faiss()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if n <= exact_max:
            index = faiss.IndexFlatIP(dim)
            kind = "flat"
        else:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
            kind = "hnsw"
        if n:
            index.add(vectors)
        log.info("built %s index over %d vectors (dim %d)", kind, n, dim)
        return cls(index=index, kind=kind, dim=dim)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)  # type: ignore[attr-defined]

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors (row ids continue from the current size)."""
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))  # type: ignore[attr-defined]

    def reconstruct(self, row: int) -> np.ndarray:
        """The stored vector of one row (flat and HNSW-flat indexes keep them)."""
        return self.index.reconstruct(row)  # type: ignore[attr-defined,no-any-return]

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, row ids) of the k nearest rows, best first; ids of -1 are padding."""
        k = max(1, min(k, self.size))
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self.index.search(q, k)  # type: ignore[attr-defined]
        return scores[0], ids[0]

    def save(self, path: Path) -> None:
        _faiss().write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> VectorIndex:
        faiss = _faiss()
        index = faiss.read_index(str(path))
        if kind == "hnsw":
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index=index, kind=kind, dim=int(index.d))
