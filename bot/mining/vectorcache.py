"""Embeddings cached on disk by the SHA-256 of the text, so a re-run embeds only new texts.

Embedding is the dominant cost of a mining run (e5 on 2 cores: tens of milliseconds a text),
so every vector is kept under build/cache/mining/<embedder name>/<prompt>/ as append-only
shard files; vectors of another model or prompt are never mixed in. `CachedEmbedder` puts the
cache behind the `Embedder` seam: the FAQ service can then look up cluster medoids that the
clustering already embedded, and the model is only loaded when some text is not cached.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path

import numpy as np

from bot.embed.base import Embedder, check_texts
from bot.errors import InputError

log = logging.getLogger(__name__)

# Texts embedded per call to the model: progress is logged and saved between chunks, so an
# interrupted cold run keeps what it has done.
CHUNK = 512
# More shards than this are merged into one on save (each load reads every shard).
MAX_SHARDS = 16
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class VectorCache:
    """Vectors of one embedder and prompt, keyed by the SHA-256 of the exact text embedded."""

    def __init__(self, folder: Path, dim: int) -> None:
        self.folder = Path(folder)
        self.dim = dim
        self._rows: dict[bytes, np.ndarray] = {}
        self._new: dict[bytes, np.ndarray] = {}
        self._loaded = False
        self._lock = threading.Lock()

    @classmethod
    def for_embedder(cls, root: Path, embedder: Embedder, prompt: str) -> VectorCache:
        return cls(Path(root) / _UNSAFE.sub("_", embedder.name) / prompt, embedder.dim)

    def _shards(self) -> list[Path]:
        return sorted(self.folder.glob("shard-*.npz")) if self.folder.is_dir() else []

    def load(self) -> None:
        if self._loaded:
            return
        for shard in self._shards():
            try:
                with np.load(shard) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError) as err:
                # A damaged shard only costs re-embedding its texts.
                log.warning("ignoring damaged embedding cache shard %s: %s", shard, err)
                continue
            if vectors.ndim != 2 or vectors.shape[1] != self.dim:
                log.warning("ignoring cache shard %s: dim %s, not %d", shard, vectors.shape,
                            self.dim)
                continue
            for key, vector in zip(keys, vectors, strict=True):
                self._rows[bytes(key)] = vector
        self._loaded = True
        log.info("embedding cache %s: %d vectors", self.folder, len(self._rows))

    def __len__(self) -> int:
        self.load()
        return len(self._rows)

    def get(self, key: bytes) -> np.ndarray | None:
        self.load()
        return self._rows.get(key)

    def put(self, key: bytes, vector: np.ndarray) -> None:
        self.load()
        row = np.asarray(vector, dtype=np.float32)
        self._rows[key] = row
        self._new[key] = row

    def save(self) -> None:
        """Write the vectors added since the last save as one new shard (atomically)."""
        with self._lock:
            if not self._new:
                return
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                shards = self._shards()
                if len(shards) >= MAX_SHARDS:
                    self._write(dict(self._rows), replace=shards)
                else:
                    self._write(self._new, replace=[])
            except OSError as err:
                # The cache only saves time: the run goes on, the next one re-embeds.
                log.warning("cannot save the embedding cache in %s: %s", self.folder, err)
                return
            self._new = {}

    def _write(self, rows: dict[bytes, np.ndarray], replace: list[Path]) -> None:
        keys = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), 32)
        vectors = np.stack(list(rows.values())).astype(np.float32)
        fd, tmp = tempfile.mkstemp(prefix=".shard-", suffix=".npz", dir=self.folder)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, keys=keys, vectors=vectors)
        name = f"shard-{len(self._shards()):04d}-{secrets.token_hex(4)}.npz"
        os.replace(tmp, self.folder / name)
        for old in replace:
            old.unlink(missing_ok=True)


class CachedEmbedder:
    """An `Embedder` that answers from a `VectorCache` and embeds only what is missing.

    Same `name` as the wrapped embedder: its vectors are the wrapped model's own.
    """

    def __init__(self, inner: Embedder, cache_root: Path) -> None:
        self.inner = inner
        self.cache_root = Path(cache_root)
        self._caches: dict[str, VectorCache] = {}
        self.embedded = 0  # texts the model embedded (cache misses), for run statistics
        self.cached = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def load(self) -> None:
        """Deferred: the model is loaded on the first cache miss (a warm run never loads it)."""

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "query")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "passage")

    def cache(self, prompt: str) -> VectorCache:
        if prompt not in self._caches:
            self._caches[prompt] = VectorCache.for_embedder(self.cache_root, self.inner, prompt)
        return self._caches[prompt]

    def _embed(self, texts: list[str], prompt: str) -> np.ndarray:
        items = check_texts(texts)
        cache = self.cache(prompt)
        keys = [text_key(t) for t in items]
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            vector = cache.get(key)
            if vector is None:
                missing.setdefault(key, []).append(i)
            else:
                out[i] = vector
        self.cached += len(items) - sum(len(v) for v in missing.values())
        todo = list(missing)
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            chunk_texts = [items[missing[k][0]] for k in chunk]
            embed = self.inner.embed_queries if prompt == "query" else self.inner.embed_passages
            vectors = embed(chunk_texts)
            if vectors.shape != (len(chunk), self.dim):
                raise InputError(
                    f"embedder {self.name} returned shape {vectors.shape} for {len(chunk)} texts"
                )
            for key, vector in zip(chunk, vectors, strict=True):
                cache.put(key, vector)
                for i in missing[key]:
                    out[i] = vector
            self.embedded += len(chunk)
            cache.save()
            if len(todo) > CHUNK:
                log.info("embedded %d of %d new texts", min(start + CHUNK, len(todo)), len(todo))
        return out
