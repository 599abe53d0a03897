"""The character n-gram language model: counts, normalisation, boundaries, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.errors import InputError, ModelNotBuiltError
from bot.voice.lm import CharNgramLM, cjk_runs, is_built

TEXTS = ["交易几乎停滞的情况", "市场交易活跃。停滞不前", "停车场在哪里", "ok 停车 123 收费"]


@pytest.fixture(scope="module")
def lm() -> CharNgramLM:
    return CharNgramLM.fit(TEXTS, order=3)


def _seen_chars(model: CharNgramLM) -> list[str]:
    return [chr(i + 0x4E00 - 3) for i in np.flatnonzero(model.unigram) if i > 2]


@pytest.mark.parametrize("context", ["", "交易", "停", "几乎停", "不见过的", "车场"])
def test_next_character_probabilities_sum_to_one(lm: CharNgramLM, context: str) -> None:
    total = sum(lm.prob(context, ch) for ch in _seen_chars(lm))
    total += lm.prob(context, "")  # the end of the run
    total += lm.prob(context, "龘")  # every unseen character shares one class
    assert total == pytest.approx(1.0, abs=1e-9)


def test_seen_text_beats_its_homophone(lm: CharNgramLM) -> None:
    right, n_right = lm.score("交易几乎停滞")
    wrong, n_wrong = lm.score("交易几乎停制")
    assert n_right == n_wrong == 7  # six characters and the end of the run
    assert right > wrong
    assert lm.prob("几乎停", "滞") > 10 * lm.prob("几乎停", "制")


def test_runs_do_not_cross_punctuation_latin_or_digits() -> None:
    assert cjk_runs("ok 停车 123 收费。好") == ["停车", "收费", "好"]
    model = CharNgramLM.fit(["甲乙。丙丁"], order=3)
    # ^甲乙$ ^丙丁$: 5 symbols besides the start; 6 bigrams; 4 trigrams, none across the 。
    assert model.meta["ngrams"] == [5, 6, 4]
    assert model.meta["runs"] == 2 and model.meta["characters"] == model.characters == 4
    assert model.prob("乙", "丙") < model.prob("乙", "")


def test_text_without_chinese_scores_nothing(lm: CharNgramLM) -> None:
    assert lm.score("hello 123") == (0.0, 0)
    assert lm.per_char("") is None
    assert lm.per_char("停车") == pytest.approx(lm.score("停车")[0] / 3)


def test_no_chinese_at_all_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no Chinese text"):
        CharNgramLM.fit(["only latin", "", "42"])


def test_order_is_checked() -> None:
    with pytest.raises(ValueError):
        CharNgramLM.fit(TEXTS, order=5)


def test_save_and_load_give_the_same_scores(lm: CharNgramLM, tmp_path: Path) -> None:
    lm.save(tmp_path / "lm")
    assert is_built(tmp_path / "lm")
    again = CharNgramLM.load(tmp_path / "lm")
    for text in ("交易几乎停滞", "停车场", "从未见过"):
        assert again.score(text) == pytest.approx(lm.score(text))
    assert again.meta["ngrams"] == lm.meta["ngrams"]


def test_missing_model_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(ModelNotBuiltError, match="bot build lm"):
        CharNgramLM.load(tmp_path / "none")


def test_damaged_model_says_rebuild(lm: CharNgramLM, tmp_path: Path) -> None:
    lm.save(tmp_path)
    (tmp_path / "lm.npz").write_bytes(b"not a numpy archive")
    with pytest.raises(ModelNotBuiltError, match="--force"):
        CharNgramLM.load(tmp_path)


def test_truncated_model_says_rebuild(lm: CharNgramLM, tmp_path: Path) -> None:
    lm.save(tmp_path)
    arrays = tmp_path / "lm.npz"
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])  # a copy cut short
    with pytest.raises(ModelNotBuiltError, match="unreadable"):
        CharNgramLM.load(tmp_path)
