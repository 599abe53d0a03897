"""The embedding cache: a warm run embeds nothing and never loads the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.mining import vectorcache
from bot.mining.vectorcache import CachedEmbedder, VectorCache, text_key

from .conftest import CountingEmbedder


def test_a_second_run_embeds_nothing(tmp_path: Path, embedder: CountingEmbedder) -> None:
    texts = ["社保卡丢了", "公积金提取", "社保卡丢了"]
    first = CachedEmbedder(embedder, tmp_path).embed_queries(texts)
    assert embedder.embedded == 2  # the repeated text once
    again = CachedEmbedder(embedder, tmp_path)
    second = again.embed_queries(texts)
    assert embedder.embedded == 2
    assert np.array_equal(first, second)
    assert (again.cached, again.embedded) == (3, 0)


def test_vectors_equal_the_wrapped_embedders(tmp_path: Path, embedder: CountingEmbedder) -> None:
    texts = ["护照过期了怎么办", "居住证"]
    assert np.allclose(CachedEmbedder(embedder, tmp_path).embed_queries(texts),
                       embedder.embed_queries(texts))


def test_queries_and_passages_are_cached_apart(tmp_path: Path,
                                               embedder: CountingEmbedder) -> None:
    cached = CachedEmbedder(embedder, tmp_path)
    cached.embed_queries(["社保卡"])
    cached.embed_passages(["社保卡"])
    assert embedder.embedded == 2


def test_the_name_is_the_wrapped_models(tmp_path: Path, embedder: CountingEmbedder) -> None:
    cached = CachedEmbedder(embedder, tmp_path)
    assert (cached.name, cached.dim) == (embedder.name, embedder.dim)


def test_load_does_not_load_the_model(tmp_path: Path) -> None:
    class Unloadable(CountingEmbedder):
        def load(self) -> None:
            raise AssertionError("the model was loaded")

    CachedEmbedder(Unloadable(), tmp_path).load()


def test_many_shards_are_merged(tmp_path: Path, embedder: CountingEmbedder,
                                monkeypatch) -> None:
    monkeypatch.setattr(vectorcache, "MAX_SHARDS", 3)
    cached = CachedEmbedder(embedder, tmp_path)
    for i in range(6):
        cached.embed_queries([f"问题{i}"])
    folder = cached.cache("query").folder
    assert len(list(folder.glob("shard-*.npz"))) <= 3
    fresh = VectorCache(folder, embedder.dim)
    assert len(fresh) == 6


def test_a_damaged_shard_is_ignored(tmp_path: Path, embedder: CountingEmbedder) -> None:
    cached = CachedEmbedder(embedder, tmp_path)
    cached.embed_queries(["社保卡"])
    folder = cached.cache("query").folder
    (folder / "shard-9999-bad.npz").write_bytes(b"not a zip")
    again = CachedEmbedder(embedder, tmp_path)
    again.embed_queries(["社保卡"])
    assert again.cached == 1


def test_keys_are_sha256_of_the_text() -> None:
    import hashlib

    assert text_key("社保") == hashlib.sha256("社保".encode()).digest()
