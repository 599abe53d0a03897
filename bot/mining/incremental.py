"""The saved model of the clusters, so scheduled runs only place the new rows.

Kept under <data_dir>/mining/: model.json (settings, every row, each cluster's member keys,
the new-topics pool) and sums.npy (each cluster's sum of member vectors: the centroid is its
normalised sum, and a join only adds a row). A new row joins the cluster whose members it is
most similar to on average, when that mean cosine reaches `threshold` (the average linkage
the clustering merges by); otherwise it goes to the pool of new topics, which
is clustered again once it has grown by POOL_RECLUSTER_ROWS rows; its groups of two or more
become clusters. A model made with another embedder, threshold or method is rebuilt.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import InputError
from bot.mining.cluster import cluster
from bot.mining.rows import MinedRow

log = logging.getLogger(__name__)

FORMAT = 1
MODEL_FILE = "model.json"
SUMS_FILE = "sums.npy"
POOL_RECLUSTER_ROWS = 10
MIN_CLUSTER_ROWS = 2  # a "cluster" of one row stays in the pool
JOIN_CANDIDATES = 8  # nearest centroids whose average linkage a new row is checked against


@dataclass
class ModelCluster:
    id: str
    members: list[str]  # row keys, in the order they joined


@dataclass(frozen=True)
class UpdateStats:
    new_rows: int = 0
    joined: int = 0  # new rows that joined an existing cluster
    pooled: int = 0  # new rows left in the pool
    new_clusters: int = 0  # clusters formed from the pool


@dataclass
class ClusterModel:
    embedder: str
    threshold: float
    method: str
    rows: dict[str, MinedRow] = field(default_factory=dict)
    clusters: list[ModelCluster] = field(default_factory=list)
    sums: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    pool: list[str] = field(default_factory=list)
    pool_clustered_at: int = 0  # pool size after its last clustering
    next_id: int = 1
    created_at: str = ""
    updated_at: str = ""

    # -- building and updating ---------------------------------------------------------

    @classmethod
    def build(cls, rows: Sequence[MinedRow], vectors: np.ndarray, *, embedder: str,
              threshold: float, method: str) -> ClusterModel:
        now = datetime.now().isoformat(timespec="seconds")
        model = cls(embedder, threshold, method, created_at=now, updated_at=now)
        model.rows = {r.key: r for r in rows}
        model.sums = np.zeros((0, vectors.shape[1]), np.float32)
        model._absorb([r.key for r in rows], vectors)
        model.pool_clustered_at = len(model.pool)
        return model

    def _new_id(self) -> str:
        name = f"c{self.next_id:06d}"
        self.next_id += 1
        return name

    def _absorb(self, keys: list[str], vectors: np.ndarray) -> int:
        """Cluster `keys` among themselves: singletons go to the pool; a group joins the
        existing cluster its rows are on average at least `threshold` similar to (the
        merge a full rebuild would make), else becomes a new cluster."""
        made = 0
        if not keys:
            return made
        result = cluster(vectors, self.threshold, self.method)
        groups = [result.members(g) for g in range(result.n_groups)]
        self.pool.extend(keys[m[0]] for m in groups if len(m) < MIN_CLUSTER_ROWS)
        groups = [m for m in groups if len(m) >= MIN_CLUSTER_ROWS]
        if not groups:
            return made
        # Mean cosine of a group to a cluster = the cluster's linkage with the group's mean.
        means = np.stack([vectors[m].mean(axis=0) for m in groups])
        placed = self._nearest(means)
        new_sums = []
        for members, (g, mean) in zip(groups, placed, strict=True):
            if g >= 0 and mean >= self.threshold:
                self.clusters[g].members.extend(keys[i] for i in members)
                self.sums[g] += vectors[members].sum(axis=0)
                continue
            self.clusters.append(ModelCluster(self._new_id(), [keys[i] for i in members]))
            new_sums.append(vectors[members].sum(axis=0))
            made += 1
        if new_sums:
            self.sums = np.vstack([self.sums, np.stack(new_sums)]).astype(np.float32)
        return made

    def centroids(self) -> np.ndarray:
        norms = np.linalg.norm(self.sums, axis=1, keepdims=True)
        return (self.sums / np.where(norms == 0, 1, norms)).astype(np.float32)

    def _nearest(self, vectors: np.ndarray) -> list[tuple[int, float]]:
        """For each row, the cluster whose members it is most similar to on average (mean
        cosine, the average linkage the clustering merges by) and that mean."""
        if not self.clusters:
            return [(-1, -1.0)] * len(vectors)
        import faiss

        index = faiss.IndexFlatIP(self.sums.shape[1])
        index.add(self.centroids())
        _, candidates = index.search(vectors.astype(np.float32), min(JOIN_CANDIDATES,
                                                                     len(self.clusters)))
        sizes = np.array([len(c.members) for c in self.clusters], dtype=np.float64)
        best = []
        for vector, near in zip(vectors, candidates, strict=True):
            near = near[near >= 0]
            means = (self.sums[near] @ vector) / sizes[near]
            i = int(np.argmax(means))
            best.append((int(near[i]), float(means[i])))
        return best

    def add(self, rows: Sequence[MinedRow], vectors: np.ndarray,
            vectors_of: Callable[[list[MinedRow]], np.ndarray]) -> UpdateStats:
        """Place rows not in the model yet; `vectors_of` embeds pool rows for reclustering."""
        fresh = [(r, v) for r, v in zip(rows, vectors, strict=True) if r.key not in self.rows]
        if not fresh:
            return UpdateStats()
        placed = self._nearest(np.stack([v for _, v in fresh]))
        joined = 0
        for (row, vector), (g, mean) in zip(fresh, placed, strict=True):
            self.rows[row.key] = row
            if g >= 0 and mean >= self.threshold:
                self.clusters[g].members.append(row.key)
                self.sums[g] += vector
                joined += 1
            else:
                self.pool.append(row.key)
        made = 0
        if len(self.pool) - self.pool_clustered_at >= POOL_RECLUSTER_ROWS:
            pool, self.pool = self.pool, []
            made = self._absorb(pool, vectors_of([self.rows[k] for k in pool]))
            self.pool_clustered_at = len(self.pool)
        self.updated_at = datetime.now().isoformat(timespec="seconds")
        return UpdateStats(len(fresh), joined, len(fresh) - joined, made)

    def incompatibility(self, embedder: str, threshold: float, method: str) -> str | None:
        """Why this model cannot take rows clustered with these settings (None: it can)."""
        if embedder != self.embedder:
            return f"embedder changed ({self.embedder} -> {embedder})"
        if abs(threshold - self.threshold) > 1e-9 or method != self.method:
            return (f"clustering changed ({self.method} {self.threshold} -> "
                    f"{method} {threshold})")
        return None

    # -- files -------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _atomic(folder / SUMS_FILE, lambda h: np.save(h, self.sums))
            data = {
                "format": FORMAT,
                "embedder": self.embedder,
                "threshold": self.threshold,
                "method": self.method,
                "created_at": self.created_at,
                "updated_at": self.updated_at,
                "next_id": self.next_id,
                "pool_clustered_at": self.pool_clustered_at,
                "clusters": [{"id": c.id, "members": c.members} for c in self.clusters],
                "pool": self.pool,
                "rows": [r.to_json() for r in self.rows.values()],
            }
            text = json.dumps(data, ensure_ascii=False)
            _atomic(folder / MODEL_FILE, lambda h: h.write(text.encode("utf-8")))
        except OSError as err:
            raise InputError(
                f"cannot save the mining model in {folder} ({err.strerror or err}); "
                "check BOT_DATA_DIR is writable"
            ) from err

    @classmethod
    def load(cls, folder: Path) -> ClusterModel | None:
        """The saved model, or None when there is none or it cannot be used (logged)."""
        path = folder / MODEL_FILE
        if not path.is_file():
            return None
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            sums = np.load(folder / SUMS_FILE)
            clusters = [ModelCluster(c["id"], list(c["members"])) for c in data["clusters"]]
            rows = [MinedRow.from_json(r) for r in data["rows"]]
            if data.get("format") != FORMAT or len(sums) != len(clusters):
                raise ValueError("format or cluster count does not match")
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning("mining model in %s is unreadable (%s); rebuilding", folder, err)
            return None
        return cls(
            embedder=data["embedder"], threshold=float(data["threshold"]),
            method=data["method"], rows={r.key: r for r in rows}, clusters=clusters,
            sums=sums.astype(np.float32), pool=list(data["pool"]),
            pool_clustered_at=int(data["pool_clustered_at"]), next_id=int(data["next_id"]),
            created_at=data.get("created_at", ""), updated_at=data.get("updated_at", ""),
        )


def _atomic(path: Path, write: Callable[[Any], object]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
