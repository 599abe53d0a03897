"""Golden table for parse_choice: what a citizen says after "您想问的是下面哪一个？"."""

from __future__ import annotations

import pytest

from bot.engine import choice
from bot.engine.choice import parse_choice

OPTIONS = ["社保卡丢了怎么补办", "社保卡如何激活", "医保卡怎么挂失"]

GOLDEN = [
    # by position: digits, full-width digits, Chinese numerals, ordinals
    ("1", 0),
    ("１", 0),
    ("3", 2),
    ("一", 0),
    ("三吧", 2),
    ("第一个", 0),
    ("第1个", 0),
    ("第１个", 0),
    ("第二個", 1),
    ("选二", 1),
    ("我选2", 1),
    ("2号", 1),
    ("就是第二个吧", 1),
    ("好的第二个谢谢", 1),
    ("第三条", 2),
    ("第三项。", 2),
    ("最后一个", 2),
    ("最后那个", 2),
    ("最後那個", 2),
    ("倒数第二个", 1),
    ("最前面那个", 0),
    # by wording: part of the option, in any order, Traditional tolerated
    ("社保卡丢了补办那个", 0),
    ("补办丢了的社保卡", 0),
    ("社保卡補辦", 0),
    ("激活那个", 1),
    ("挂失的", 2),
    ("医保卡怎么挂失", 2),
    ("我要第二个社保卡激活", 1),
    # cannot tell -> None (the action re-asks)
    ("前面那个", None),
    ("这个", None),
    ("第一个还是第二个", None),
    ("社保卡那个", None),  # in options 1 and 2
    ("怎么办", None),
    ("两个", None),  # "both"?
    ("我选第一个社保卡激活", None),  # the position and the wording disagree
    # out of range
    ("第五个", None),
    ("4", None),
    ("0", None),
    ("第十个", None),
    # probably a new question, not a choice
    ("公积金贷款额度怎么算", None),
    ("第二个孩子的生育津贴怎么领", None),
    ("最后期限是什么时候", None),
    ("我还有一个问题", None),
    ("13812345678", None),
    # empty
    ("", None),
    ("   ", None),
    ("。？", None),
]


@pytest.mark.parametrize(("text", "expected"), GOLDEN)
def test_golden(text: str, expected: int | None) -> None:
    assert parse_choice(text, OPTIONS) == expected


@pytest.mark.parametrize(("text", "expected"), GOLDEN)
def test_golden_without_the_shared_normaliser(
    text: str, expected: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(choice, "_normalizer", lambda: choice._fallback_normalize)
    assert parse_choice(text, OPTIONS) == expected


def test_no_options_is_none() -> None:
    assert parse_choice("第一个", []) is None


def test_last_follows_the_number_of_options() -> None:
    assert parse_choice("最后一个", ["甲问题", "乙问题"]) == 1


def test_two_digit_ordinal() -> None:
    options = [f"问题{n}" for n in range(12)]
    assert parse_choice("第十二个", options) == 11
    assert parse_choice("第11个", options) == 10


def test_options_that_differ_only_at_the_end() -> None:
    options = ["社保卡丢了怎么补办", "社保卡丢了怎么挂失"]
    assert parse_choice("挂失那个", options) == 1
    assert parse_choice("社保卡丢了", options) is None


def test_a_broken_shared_normaliser_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> str:
        raise RuntimeError("bug")

    import types

    fake = types.ModuleType("bot.text.normalize")
    fake.normalize = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "bot.text.normalize", fake)
    choice._normalizer.cache_clear()
    try:
        assert parse_choice("激活那个", OPTIONS) == 1
    finally:
        choice._normalizer.cache_clear()


def test_a_long_text_is_not_a_choice() -> None:
    assert parse_choice("嗯" * 95 + "第二个", OPTIONS) == 1
    assert parse_choice("嗯" * 200 + "第二个", OPTIONS) is None
    assert parse_choice("社保卡丢了怎么补办" * 222, OPTIONS) is None
