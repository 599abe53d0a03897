from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.text.normalize import canonicalize, clean_display, is_meaningful, normalize
from tests.unit.text.text_golden import read_golden

GOLDEN = read_golden("golden_normalize.tsv")


def test_golden_table_is_not_empty() -> None:
    assert len(GOLDEN) >= 40


@pytest.mark.parametrize(("text", "expected"), GOLDEN, ids=[t for t, _ in GOLDEN])
def test_normalize_golden(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text", [t for t, _ in GOLDEN], ids=[t for t, _ in GOLDEN])
def test_golden_inputs_are_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_phrase_formed_by_removed_punctuation_is_converted() -> None:
    # 答，覆 converts character by character (覆 stays); joined, 答覆 is the phrase 答复.
    assert normalize("答，覆") == "答复"


def test_greeting_formed_by_removed_punctuation_is_stripped() -> None:
    assert normalize("你，好社保卡") == "社保卡"


def test_canonicalize_keeps_punctuation_and_fillers() -> None:
    assert canonicalize("喂，身份證ＩＤ！") == "喂,身份证id!"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  社保卡   丢了  ", "社保卡 丢了"),
        ("社保卡\t\n丢了", "社保卡 丢了"),
        ("社保卡\u3000丢了", "社保卡 丢了"),
        ("社保\x00卡\x1b", "社保卡"),
        ("\ufeff社保卡\u200b丢了", "社保卡 丢了"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("ＩＤ卡，丢了！", "ＩＤ卡，丢了！"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        ("", ""),
    ],
)
def test_clean_display(text: str, expected: str) -> None:
    assert clean_display(text) == expected


def test_clean_display_output_encodes_as_utf8() -> None:
    assert clean_display("日志\ud83d里").encode("utf-8") == "日志里".encode()


@pytest.mark.parametrize("text", ["", "   ", "？！。", "😀😀", "喂，你好", "嗯嗯啊"])
def test_not_meaningful(text: str) -> None:
    assert is_meaningful(text) is False


@pytest.mark.parametrize("text", ["社保卡", "12345", "app", "不"])
def test_meaningful(text: str) -> None:
    assert is_meaningful(text) is True


@pytest.mark.parametrize("function", [normalize, clean_display, canonicalize, is_meaningful])
def test_bytes_are_rejected_with_a_hint(function) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=r"got bytes; decode it first"):
        function("社保".encode())


@pytest.mark.parametrize("function", [normalize, clean_display, canonicalize])
def test_none_is_rejected(function) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=r"needs text \(str\), got NoneType"):
        function(None)
