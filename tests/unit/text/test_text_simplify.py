from __future__ import annotations

import random

import opencc
import pytest

from bot.text import simplify
from bot.text.simplify import to_simplified


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份證補辦", "身份证补办"),
        ("戶口名簿不見了", "户口名簿不见了"),
        ("回覆", "回复"),
        ("覆盖", "覆盖"),
        ("社保卡丢了", "社保卡丢了"),
        ("", ""),
    ],
)
def test_to_simplified(text: str, expected: str) -> None:
    assert to_simplified(text) == expected


def test_simplified_text_skips_the_converter() -> None:
    text = "我想问一下社保卡丢了怎么补办"
    assert to_simplified(text) is text


def test_skip_agrees_with_the_converter_on_mixed_text() -> None:
    # The trigger set must never skip a text the converter would change.
    converter = opencc.OpenCC("t2s")
    rng = random.Random(7)
    pool = list("覆藉瞭沈乾於著答回反重明了然借口信复社保卡身份证補辦戶國們个的")
    for _ in range(2000):
        text = "".join(rng.choices(pool, k=rng.randint(1, 6)))
        assert to_simplified(text) == converter.convert(text), text


def test_unreadable_tables_mean_converting_everything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert simplify._trigger_chars(tmp_path / "missing") is None
