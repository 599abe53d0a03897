from __future__ import annotations

import numpy as np
import pytest

from bot.errors import IndexBuildError
from bot.index.tfidf import CharTfidfIndex

QUESTIONS = ["社保卡丢了怎么补办", "公积金租房提取", "身份证到期换领"]


def test_best_match_ranks_first() -> None:
    index = CharTfidfIndex.build(QUESTIONS)
    assert int(np.argmax(index.scores("租房能提公积金吗"))) == 1


def test_query_is_normalised_like_the_documents() -> None:
    index = CharTfidfIndex.build(QUESTIONS)
    scores = index.scores("喂，你好，身份證到期換領！")
    assert scores[2] == pytest.approx(1.0)


@pytest.mark.parametrize("ngram_range", [(1, 2), (1, 3)])
def test_scores_are_cosines(ngram_range: tuple[int, int]) -> None:
    index = CharTfidfIndex.build(QUESTIONS, ngram_range)
    scores = index.scores(QUESTIONS[0])
    assert scores.shape == (3,)
    assert scores[0] == pytest.approx(1.0)
    assert ((scores >= 0) & (scores <= 1 + 1e-9)).all()


def test_unrelated_query_scores_zero() -> None:
    assert CharTfidfIndex.build(QUESTIONS).scores("xyz").tolist() == [0.0, 0.0, 0.0]


def test_custom_normaliser() -> None:
    index = CharTfidfIndex.build(["ABC", "xyz"], normalizer=str.lower)
    assert int(np.argmax(index.scores("AB"))) == 0


def test_texts_without_content_are_rejected() -> None:
    with pytest.raises(IndexBuildError, match=r"none of the 2 texts"):
        CharTfidfIndex.build(["？？", "😀"])


@pytest.mark.parametrize("ngram_range", [(0, 2), (3, 1)])
def test_bad_ngram_range(ngram_range: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match=r"ngram_range"):
        CharTfidfIndex.build(QUESTIONS, ngram_range)


def test_single_string_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"got one str"):
        CharTfidfIndex.build("社保卡")


def test_non_string_query_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"query must be str, got list"):
        CharTfidfIndex.build(QUESTIONS).scores(["社保卡"])  # type: ignore[arg-type]
