"""Reading the work order's contact phone, with the store's validator and without it."""

from __future__ import annotations

import pytest

from actions import phone
from actions.phone import REFUSED, read_phone

GOLDEN = [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("我的电话是13812345678", "13812345678"),
    ("0571-87654321", "057187654321"),
    ("010-12345678", "01012345678"),
    ("没有手机，座机是010-12345678", "01012345678"),
    ("不留", REFUSED),
    ("不想留", REFUSED),
    ("没有", REFUSED),
    ("不用了", REFUSED),
    ("算了吧", REFUSED),
    ("12345", None),
    ("23812345678", None),
    ("1381234567", None),
    ("电话是多少来着", None),
    ("13812345678或者13987654321", None),  # two numbers: which one?
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("text", "expected"), GOLDEN)
def test_golden(text: str, expected: str | None) -> None:
    assert read_phone(text) == expected


@pytest.mark.parametrize(("text", "expected"), GOLDEN)
def test_golden_with_the_local_validator(
    text: str, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone, "_shared_validator", lambda: phone._local_validate)
    assert read_phone(text) == expected
