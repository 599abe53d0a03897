"""PII masking: a golden table of real-looking cases, then properties over arbitrary text."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.store.pii import fold_digits, mask_phone, mask_pii, validate_phone

GOLDEN = [
    ("电话13812345678谢谢", "电话138****5678谢谢"),
    ("138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("0086-138-1234-5678", "0086-138****5678"),
    ("号码１３８１２３４５６７８。", "号码138****5678。"),
    ("手机１３８　１２３４　５６７８", "手机138****5678"),
    ("13812345678 13987654321", "138****5678 139****4321"),
    ("138 1234 5678 139 8765 4321", "138****5678 139****4321"),
    ("身份证110105194912310021", "身份证110105********0021"),
    ("身份证11010519491231002X号", "身份证110105********002X号"),
    ("身份证11010519491231002x", "身份证110105********002X"),
    ("身份证１１０１０５１９４９１２３１００２Ｘ", "身份证110105********002X"),
    ("老身份证110105491231002", "老身份证110105*****1002"),
    ("call me at tel13812345678", "call me at tel138****5678"),
    ("2023年 13812345678", "2023年 138****5678"),
    ("2023 13812345678", "2023 138****5678"),
    # Not personal numbers: left exactly as they were.
    ("订单号12345678901234567890已受理", "订单号12345678901234567890已受理"),
    ("卡号6212 1381 2345 6789 012", "卡号6212 1381 2345 6789 012"),
    ("编号138123456789", "编号138123456789"),
    ("座机010-12345678", "座机010-12345678"),
    ("12345678901", "12345678901"),
    ("2026-01-02 办理", "2026-01-02 办理"),
    ("18位订单202312011234567890", "18位订单202312011234567890"),
    ("价格12元，窗口3号", "价格12元，窗口3号"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), GOLDEN)
def test_mask_pii_golden(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
DIGITY = st.sampled_from(list("0123456789１３８ -－+*Xx　"))
WORDY = st.sampled_from(list("电话是号码身份证我的，。abc\n"))
MIXED = st.text(alphabet=st.one_of(DIGITY, DIGITY, WORDY), max_size=80)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    digits = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    sep = draw(st.sampled_from(["", " ", "-", "\u3000", "\uff0d"]))
    formatted = sep.join([digits[:3], digits[3:7], digits[7:]]) if sep else digits
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "0086-", "86 "]))
    if draw(st.booleans()):
        formatted = "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in formatted)
    return prefix + formatted


@settings(max_examples=300, deadline=None)
@given(MIXED)
@example("13 456789 13812345678")
@example("*13812345678*")
def test_no_compact_mobile_number_survives(text: str) -> None:
    assert MOBILE.search(fold_digits(mask_pii(text))) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=WORDY, max_size=10), mobiles(), st.text(alphabet=WORDY, max_size=10))
def test_a_mobile_number_in_any_format_is_masked(before: str, phone: str, after: str) -> None:
    masked = mask_pii(before + phone + after)
    digits = re.sub(r"[^0-9]", "", fold_digits(phone))[-11:]
    assert f"{digits[:3]}****{digits[-4:]}" in masked
    assert digits not in re.sub(r"[ \-]", "", fold_digits(masked))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=60))
def test_text_without_digits_is_unchanged(text: str) -> None:
    assert mask_pii(text) == text


@settings(max_examples=300, deadline=None)
@given(MIXED)
@example("13 456789 13812345678")
@example("+86 13812345678 110105194912310021")
def test_masking_is_idempotent(text: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("010-12345678", "01012345678"),
        ("0755 1234567", "07551234567"),
        ("(010)12345678", "01012345678"),
    ],
)
def test_validate_phone_accepts(text: str, expected: str) -> None:
    assert validate_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345",
        "12812345678",
        "1381234567",
        "138123456789",
        "我的电话13812345678",
        "13812345678 13987654321",
        "abc",
        "010-123",
    ],
)
def test_validate_phone_rejects(text: str) -> None:
    assert validate_phone(text) is None


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("010-12345678", "010****5678"),
        ("0755-1234567", "0755****4567"),
        ("12345", "*2345"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, expected: str) -> None:
    assert mask_phone(phone) == expected
