from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bot.errors import ModelNotBuiltError
from bot.index.bm25 import Bm25Index

DOCS = [
    ["社保卡", "补办"],
    ["社保卡", "挂失", "社保卡"],
    ["公积金", "提取", "租房", "材料"],
    [],
]


def _bm25(term: str, doc: list[str], docs: list[list[str]], k1: float, b: float) -> float:
    """Textbook Okapi BM25 with Lucene's IDF, one term at a time."""
    n = len(docs)
    df = sum(term in d for d in docs)
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    tf = doc.count(term)
    if not tf:
        return 0.0
    avgdl = sum(map(len, docs)) / n
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / avgdl))


@pytest.mark.parametrize(("k1", "b"), [(1.5, 0.75), (1.2, 0.0), (2.0, 1.0), (0.0, 0.5)])
def test_scores_match_the_formula(k1: float, b: float) -> None:
    index = Bm25Index.build(DOCS, k1=k1, b=b)
    query = ["社保卡", "补办", "租房"]
    expected = [sum(_bm25(t, d, DOCS, k1, b) for t in query) for d in DOCS]
    np.testing.assert_allclose(index.scores(query), expected, rtol=1e-12)


def test_best_document_wins() -> None:
    scores = Bm25Index.build(DOCS).scores(["公积金", "租房"])
    assert int(np.argmax(scores)) == 2
    assert scores[0] == 0 and scores[3] == 0


def test_repeated_query_term_counts_twice() -> None:
    index = Bm25Index.build(DOCS)
    np.testing.assert_allclose(index.scores(["补办", "补办"]), 2 * index.scores(["补办"]))


def test_unknown_and_empty_queries_score_zero() -> None:
    index = Bm25Index.build(DOCS)
    assert index.scores(["不存在"]).tolist() == [0.0] * 4
    assert index.scores([]).tolist() == [0.0] * 4


def test_term_in_every_document_still_counts() -> None:
    scores = Bm25Index.build([["办"], ["办", "证"]]).scores(["办"])
    assert (scores > 0).all()


def test_empty_index() -> None:
    index = Bm25Index.build([])
    assert index.n_docs == 0
    assert index.scores(["社保卡"]).shape == (0,)


def test_all_documents_empty() -> None:
    assert Bm25Index.build([[], []]).scores(["a"]).tolist() == [0.0, 0.0]


def test_string_document_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"docs\[1\] must be a list of terms .*got str"):
        Bm25Index.build([["a"], "社保 卡"])  # type: ignore[list-item]


def test_string_query_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"query_terms must be a list of terms"):
        Bm25Index.build(DOCS).scores("社保卡")


@pytest.mark.parametrize(
    ("k1", "b", "message"),
    [(-1.0, 0.75, "k1=-1.0"), (float("nan"), 0.75, "k1=nan"), (1.5, 1.5, "b=1.5")],
)
def test_bad_parameters(k1: float, b: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Bm25Index.build(DOCS, k1=k1, b=b)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = Bm25Index.build(DOCS, k1=1.2, b=0.5)
    index.save(tmp_path / "bm25.npz")
    loaded = Bm25Index.load(tmp_path / "bm25.npz")
    assert (loaded.k1, loaded.b, loaded.n_docs) == (1.2, 0.5, 4)
    query = ["社保卡", "租房", "材料"]
    np.testing.assert_array_equal(loaded.scores(query), index.scores(query))


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotBuiltError, match=r"bm25.npz does not exist; build"):
        Bm25Index.load(tmp_path / "bm25.npz")


def test_load_damaged_file(tmp_path: Path) -> None:
    (tmp_path / "bm25.npz").write_bytes(b"not an npz")
    with pytest.raises(ModelNotBuiltError, match=r"damaged .*rebuild"):
        Bm25Index.load(tmp_path / "bm25.npz")


def test_load_truncated_file(tmp_path: Path) -> None:
    Bm25Index.build(DOCS).save(tmp_path / "bm25.npz")
    data = (tmp_path / "bm25.npz").read_bytes()
    (tmp_path / "bm25.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelNotBuiltError, match=r"damaged .*rebuild"):
        Bm25Index.load(tmp_path / "bm25.npz")


def test_load_inconsistent_file(tmp_path: Path) -> None:
    index = Bm25Index.build(DOCS)
    index.n_docs = 1  # postings now point past the last document
    index.save(tmp_path / "bm25.npz")
    with pytest.raises(ModelNotBuiltError, match=r"inconsistent .*rebuild"):
        Bm25Index.load(tmp_path / "bm25.npz")


def test_twenty_thousand_documents_rank_the_source_first() -> None:
    rng = np.random.default_rng(0)
    vocab = [f"t{i}" for i in range(5000)]
    docs = [[vocab[j] for j in rng.integers(0, 5000, 12)] for _ in range(20000)]
    index = Bm25Index.build(docs)
    scores = index.scores(docs[123])
    assert int(np.argmax(scores)) == 123
