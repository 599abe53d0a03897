"""CER scoring: the normaliser golden table and the edit distance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.voice.cer import (
    cardinal,
    cer_count,
    corpus_cer,
    digits_to_chinese,
    edit_distance,
    normalize_for_cer,
)

GOLDEN = [
    # (text, digit mode, scored form)
    ("甚至出现交易几乎停滞的情况。", "digits", "甚至出现交易几乎停滞的情况"),
    ("廣州市房地產中介協會", "digits", "广州市房地产中介协会"),  # Traditional -> Simplified
    ("一三四七三八二幺三六八", "digits", "一三四七三八二一三六八"),  # 幺 is 1 in phone numbers
    ("13473821368", "digits", "一三四七三八二一三六八"),
    ("13473821368", "spoken", "一三四七三八二一三六八"),  # 5+ digits: digit by digit
    ("设定29度", "digits", "设定二九度"),
    ("设定29度", "spoken", "设定二十九度"),
    ("2011 年 8 月", "spoken", "二零一一年八月"),  # years digit by digit
    ("2011 年 8 月", "digits", "二零一一年八月"),
    ("15 米", "spoken", "十五米"),
    ("403 路", "spoken", "四百零三路"),
    ("0571", "spoken", "零五七一"),  # a leading 0 is a code
    ("３.５公里", "spoken", "三点五公里"),  # full-width digits
    ("50%", "spoken", "百分之五十"),
    ("50%", "digits", "五零百分之"),
    ("1-2線城市", "digits", "一二线城市"),
    ("想听歌曲Let It Go", "digits", "想听歌曲letitgo"),
    ("百盛(天山店A楼)", "digits", "百盛天山店a楼"),
    ("O P A（淮海店）", "digits", "opa淮海店"),
    ("“你好，”他说：‘谢谢！’", "digits", "你好他说谢谢"),
    ("", "digits", ""),
]


@pytest.mark.parametrize(("text", "mode", "expected"), GOLDEN)
def test_normalize_golden(text: str, mode: str, expected: str) -> None:
    assert normalize_for_cer(text, mode) == expected


@pytest.mark.parametrize(
    ("n", "spoken"),
    [(0, "零"), (7, "七"), (10, "十"), (15, "十五"), (20, "二十"), (105, "一百零五"),
     (110, "一百一十"), (1010, "一千零一十"), (10010, "一万零一十"), (10500, "一万零五百"),
     (100000, "十万"), (1000001, "一百万零一"), (1010000, "一百零一万"),
     (123456789, "一亿二千三百四十五万六千七百八十九")],
)
def test_cardinal(n: int, spoken: str) -> None:
    assert cardinal(n) == spoken


def test_unknown_digit_mode() -> None:
    with pytest.raises(ValueError, match="digit mode"):
        digits_to_chinese("1", "roman")


@pytest.mark.parametrize(
    ("ref", "hyp", "distance"),
    [("", "", 0), ("abc", "", 3), ("", "ab", 2), ("社保卡", "社保卡", 0), ("社保卡", "社报卡", 1),
     ("社保卡丢了", "社保丢了", 1), ("社保", "社保卡了", 2), ("kitten", "sitting", 3)],
)
def test_edit_distance(ref: str, hyp: str, distance: int) -> None:
    assert edit_distance(ref, hyp) == distance


TEXTS = st.text(alphabet="社保卡公积金ab", max_size=12)


@given(TEXTS, TEXTS)
def test_edit_distance_symmetric_and_bounded(a: str, b: str) -> None:
    d = edit_distance(a, b)
    assert d == edit_distance(b, a)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))


def test_cer_count_spoken_digits_forgive_writing() -> None:
    assert cer_count("设定二十九度", "設定29度", "digits").errors == 1
    assert cer_count("设定二十九度", "設定29度", "spoken").errors == 0


def test_corpus_cer_weights_by_length() -> None:
    counts = [cer_count("一二三四五六七八九十", "一二三四五六七八九十"), cer_count("好", "坏")]
    assert corpus_cer(counts) == pytest.approx(1 / 11)
