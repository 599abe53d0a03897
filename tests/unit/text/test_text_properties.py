"""Properties of normalize() over arbitrary text, and over text dense in fillers and
Traditional characters, where the rules interact."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.normalize import normalize

# Any code point, lone surrogates and control characters included.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)

_PIECES = [
    *"喂你好您那个就是说嗯啊呃哎请问我想一下麻烦咨询呀吧呢啦哈网酒奶不没逆额度干嘛他在吗",
    *"覆答乾清宮個國們藉瞭",
    *"，。 !?、\t\n😀１２3ａＢhieloy",
    "\ud800",
    "\x00",
    "\u200d",
    "ﷺ",
    "㍱",
    "İ",
    "ß",
    "Ⅷ",
    "①",
    "㎒",
    "\u0301",
    "\u3000",
]
HOTLINE_TEXT = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)
TEXTS = st.one_of(ANY_TEXT, HOTLINE_TEXT)


@settings(max_examples=200)
@given(TEXTS)
def test_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200)
@given(TEXTS)
def test_output_is_letters_and_digits_only(text: str) -> None:
    assert all(ch.isalnum() for ch in normalize(text))


@settings(max_examples=200)
@given(TEXTS)
def test_output_at_most_twice_as_long(text: str) -> None:
    assert len(normalize(text)) <= 2 * len(text)


@settings(max_examples=200)
@given(TEXTS)
def test_ascii_digits_are_kept_in_order(text: str) -> None:
    digits = iter(ch for ch in normalize(text) if ch.isascii() and ch.isdigit())
    # Subsequence test: full-width digits and ① fold to ASCII digits and may add more.
    assert all(d in digits for d in text if d.isascii() and d.isdigit())


@settings(max_examples=200)
@given(TEXTS)
def test_output_encodes_as_utf8(text: str) -> None:
    normalize(text).encode("utf-8")
