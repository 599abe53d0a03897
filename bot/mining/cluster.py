"""Clustering question embeddings into groups that ask the same thing; the number of groups
is found, not fixed.

Two methods over a FAISS k-nearest-neighbour graph (cosine = inner product of L2-normalised
rows), both cut at one similarity threshold:
- "leader" (Taylor-Butina): the row with most neighbours above the threshold founds a group
  and takes those neighbours, then the next densest row not yet taken, and so on; groups
  whose rows are on average at least that similar are then merged (average linkage). Every
  member is close to its founder, so a group cannot drift through a chain of small steps.
- "components": connected components of the mutual-kNN edges above the threshold (single
  linkage). It chains: on hotline questions at the default threshold its pairwise precision
  is 0.03 (leader 0.40), and on 7,600 real citizen messages at 0.95 one component swallows
  576 unrelated ones (leader: at most 38). Only near 0.97, where little is grouped at all,
  does it match the leader method.
The threshold is the one bench/bench_mining.py chose on hotline questions (defaults.py).
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass

import numpy as np

from bot.mining.defaults import DEFAULT_METHOD, DEFAULT_THRESHOLD, METHODS

log = logging.getLogger(__name__)

NEIGHBOURS = 30


def _faiss():  # type: ignore[no-untyped-def]
    import faiss  # imported here: nothing heavy at import time

    return faiss


def knn(vectors: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest other rows (similarities, indices; -1 where there are fewer)."""
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.int64)
    faiss = _faiss()
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    sims, idx = index.search(x, min(k + 1, n))
    # Drop each row itself (usually column 0, but exact duplicates may come first).
    keep_sims = np.full((n, k), -1.0, np.float32)
    keep_idx = np.full((n, k), -1, np.int64)
    for i in range(n):
        others = idx[i] != i
        s, j = sims[i][others][:k], idx[i][others][:k]
        keep_sims[i, : len(s)] = s
        keep_idx[i, : len(j)] = j
    return keep_sims, keep_idx


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Labels 0..m-1 by decreasing group size (ties: first row first)."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(values[i]): rank for rank, i in enumerate(order)}
    return np.array([mapping[int(v)] for v in labels], dtype=np.int64)


def group_sums(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Sum of each group's rows (float64), row g for label g; labels are 0..m-1."""
    m = int(labels.max()) + 1 if len(labels) else 0
    sums = np.zeros((m, vectors.shape[1]), np.float64)
    if m:
        # Sorted segments and reduceat: np.add.at is an order of magnitude slower.
        order = np.argsort(labels, kind="stable")
        sorted_labels = labels[order]
        starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
        sums[sorted_labels[starts]] = np.add.reduceat(
            vectors[order].astype(np.float64), starts, axis=0)
    return sums


def centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """L2-normalised mean of each group's rows, row g for label g."""
    sums = group_sums(vectors, labels)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


Neighbours = tuple[np.ndarray, np.ndarray]


def leader_labels(
    vectors: np.ndarray, threshold: float, k: int = NEIGHBOURS, graph: Neighbours | None = None
) -> np.ndarray:
    """`graph`: knn(vectors, k) when already computed (a threshold sweep reuses it)."""
    sims, idx = graph or knn(vectors, k)
    n = len(vectors)
    close = (sims >= threshold) & (idx >= 0)
    density = close.sum(axis=1)
    order = np.lexsort((np.arange(n), -density))  # densest first, then file order
    labels = np.full(n, -1, np.int64)
    group = 0
    for i in order.tolist():
        if labels[i] >= 0:
            continue
        labels[i] = group
        for j in idx[i][close[i]].tolist():
            if labels[j] < 0:
                labels[j] = group
        group += 1
    return merge_close(vectors, labels, threshold, k)


def merge_close(
    vectors: np.ndarray, labels: np.ndarray, threshold: float, k: int = NEIGHBOURS
) -> np.ndarray:
    """Average-linkage merging: join the two groups whose rows are most similar on average
    (mean pairwise cosine, from the groups' vector sums) while that mean reaches `threshold`.

    Re-unites a group the leader pass split (a founder takes at most k neighbours, and two
    founders can share a topic). Not centroid cosine: e5 centroids all lean towards the
    corpus mean, so centroids of unrelated groups are as similar as paraphrases are.
    Candidate pairs come from the k nearest centroids of each group.
    """
    m = int(labels.max()) + 1 if len(labels) else 0
    if m < 2:
        return labels
    sums = group_sums(vectors, labels)
    counts = np.bincount(labels, minlength=m).astype(np.float64)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    _, idx = knn((sums / np.where(norms == 0, 1, norms)).astype(np.float32), k)
    near: list[set[int]] = [set() for _ in range(m)]
    for g in range(m):
        for h in idx[g].tolist():
            if h >= 0:
                near[g].add(h)
                near[h].add(g)

    def linkage(a: int, b: int) -> float:
        return float(sums[a] @ sums[b]) / (counts[a] * counts[b])

    version = [0] * m
    heap = []
    for a in range(m):
        # One matrix-vector product per group: per-pair dot calls cost seconds at 7,000 groups.
        others = np.array(sorted(h for h in near[a] if h > a), dtype=np.int64)
        if len(others):
            sims = (sums[others] @ sums[a]) / (counts[others] * counts[a])
            heap += [(-float(s), a, int(b), 0, 0) for s, b in zip(sims, others, strict=True)
                     if s >= threshold]
    heapq.heapify(heap)
    parent = list(range(m))
    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if parent[a] != a or parent[b] != b or version[a] != va or version[b] != vb:
            continue  # stale: one of the two has merged since
        sums[a] += sums[b]
        counts[a] += counts[b]
        parent[b] = a
        version[a] += 1
        near[a] = (near[a] | near[b]) - {a, b}
        for n in near[a]:
            near[n].discard(b)
            near[n].add(a)
            sim = linkage(a, n)
            if sim >= threshold:
                lo, hi = (a, n) if a < n else (n, a)
                heapq.heappush(heap, (-sim, lo, hi, version[lo], version[hi]))

    def root(g: int) -> int:
        while parent[g] != g:
            g = parent[g]
        return g

    return np.array([root(int(g)) for g in labels], dtype=np.int64)


def component_labels(
    vectors: np.ndarray,
    threshold: float,
    k: int = NEIGHBOURS,
    mutual: bool = True,
    graph: Neighbours | None = None,
) -> np.ndarray:
    sims, idx = graph or knn(vectors, k)
    n = len(vectors)
    neighbours = [set(idx[i][(sims[i] >= threshold) & (idx[i] >= 0)].tolist()) for i in range(n)]
    uf = _UnionFind(n)
    for i in range(n):
        for j in neighbours[i]:
            if not mutual or i in neighbours[j]:
                uf.union(i, j)
    return np.array([uf.find(i) for i in range(n)], dtype=np.int64)


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # group of each row, 0 = the largest group
    centroids: np.ndarray  # (groups, dim), L2-normalised
    threshold: float
    method: str

    @property
    def n_groups(self) -> int:
        return len(self.centroids)

    def members(self, group: int) -> np.ndarray:
        return np.flatnonzero(self.labels == group)


def cluster(
    vectors: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    method: str = DEFAULT_METHOD,
    k: int = NEIGHBOURS,
    graph: Neighbours | None = None,
) -> Clustering:
    """Group L2-normalised rows; identical rows always share a group. `graph`: knn() of
    np.unique(vectors, axis=0), for sweeps over thresholds."""
    if method not in METHODS:
        raise ValueError(f"clustering method {method!r} is not one of {', '.join(METHODS)}")
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(x) == 0:
        return Clustering(np.zeros(0, np.int64), np.zeros((0, x.shape[1]), np.float32),
                          threshold, method)
    # Cluster distinct vectors only: a question asked 300 times word for word would
    # otherwise fill every neighbour list with copies of itself.
    unique, inverse = np.unique(x, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if method == "leader":
        unique_labels = leader_labels(unique, threshold, k, graph)
    else:
        unique_labels = component_labels(unique, threshold, k, graph=graph)
    labels = _relabel(unique_labels[inverse])
    log.info("clustered %d rows (%d distinct) into %d groups at %.3f (%s)",
             len(x), len(unique), int(labels.max()) + 1, threshold, method)
    return Clustering(labels, centroids(x, labels), threshold, method)
