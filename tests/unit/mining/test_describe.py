"""Representative, examples and keywords of a cluster."""

from __future__ import annotations

import numpy as np
import pytest

from bot.mining.describe import KeywordScorer, category_counts, examples, medoid, tidy_question
from bot.text.tokenize import HotlineTokenizer


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("  您好，请问社保卡丢了怎么补办？？？ ", "社保卡丢了怎么补办？"),
        ("尊敬的领导：你好！小区停水三天了!!!", "小区停水三天了!"),
        ("请问，公积金怎么提取", "公积金怎么提取"),
        ("，，社保卡补办，", "社保卡补办"),
        ("您好", "您好"),  # nothing else to keep
    ],
)
def test_tidy_question(raw: str, tidy: str) -> None:
    assert tidy_question(raw) == tidy


def test_medoid_is_the_row_nearest_the_centroid() -> None:
    x = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32)
    centroid = x.mean(axis=0) / np.linalg.norm(x.mean(axis=0))
    assert medoid(x, centroid) == 1


def test_examples_skip_the_medoid_and_repeated_wordings() -> None:
    texts = ["社保卡补办", "社保卡补办？", "社保卡怎么补", "社保卡丢了", "补办社保卡"]
    x = np.eye(5, dtype=np.float32)
    centroid = np.full(5, 1 / np.sqrt(5), dtype=np.float32)
    got = examples(texts, x, centroid, skip=0, limit=5)
    assert got == ["社保卡怎么补", "社保卡丢了", "补办社保卡"]


def test_keywords_are_the_clusters_distinctive_shared_words() -> None:
    tokenizer = HotlineTokenizer(None)
    texts = ["A市小区停水三天", "A市小区又停水了", "A市小区停水问题", "A市公交线路建议",
             "A市公交线路太少", "A市小区物业乱收费"]
    scorer = KeywordScorer(texts, tokenizer.tokens)
    words = scorer.keywords([0, 1, 2])
    assert words[0] == "停水"
    assert "公交" not in words and "线路" not in words


def test_keywords_need_two_rows_in_a_larger_cluster() -> None:
    scorer = KeywordScorer(["停水三天", "停水一周", "物业收费"], HotlineTokenizer(None).tokens)
    assert "物业" not in scorer.keywords([0, 1, 2])


def test_category_counts_most_frequent_first() -> None:
    assert list(category_counts(["城乡建设", "", "教育", "城乡建设"]).items()) == [
        ("城乡建设", 2), ("教育", 1)]


def test_words_that_only_look_like_an_address_stay() -> None:
    assert tidy_question("市长热线打不通") == "市长热线打不通"
    assert tidy_question("领导干部违规经商") == "领导干部违规经商"


def test_generic_petition_words_are_not_keywords() -> None:
    texts = ["咨询小区停水问题", "咨询小区停水问题何时解决", "反映小区停水问题"]
    words = KeywordScorer(texts, HotlineTokenizer(None).tokens).keywords([0, 1, 2])
    assert "停水" in words
    assert not {"咨询", "问题", "何时", "解决", "反映"} & set(words)
