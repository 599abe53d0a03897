from __future__ import annotations

import pytest

from bot.text.fillers import strip_clause, strip_fillers


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("那个那个社保卡", "社保卡"),
        ("就是说社保卡", "社保卡"),
        ("我想咨询一下公积金", "公积金"),
        ("那我就想问一下公积金", "公积金"),
        ("麻烦您问一下公积金", "公积金"),
        ("请问一下公积金", "公积金"),
        ("咨询电话多少", "咨询电话多少"),
        ("了解情况", "了解情况"),
        ("额外收费吗", "额外收费吗"),
        ("社保卡丢了吧啊呀", "社保卡丢了"),
        ("去酒吧", "去酒吧"),
        ("买毛呢", "买毛呢"),
        ("嗯社保嗯卡", "社保卡"),
        ("我那个那个社保卡", "我社保卡"),
        ("他那个地方", "他那个地方"),
        ("不好意思打扰了公积金", "公积金"),
        ("不能补办", "不能补办"),
        ("没交社保", "没交社保"),
    ],
)
def test_strip_clause(clause: str, expected: str) -> None:
    assert strip_clause(clause, at_start=False) == expected


def test_greeting_only_at_the_start() -> None:
    assert strip_clause("你好社保卡", at_start=True) == "社保卡"
    assert strip_clause("你好社保卡", at_start=False) == "你好社保卡"


@pytest.mark.parametrize("clause", ["喂奶", "喂养宠物", "喂猫"])
def test_wei_as_a_verb_stays(clause: str) -> None:
    assert strip_clause(clause, at_start=True) == clause


def test_start_moves_past_clauses_that_were_only_fillers() -> None:
    assert strip_fillers(["嗯", "啊", "你好社保卡", "你好"]) == "社保卡你好"


def test_strip_fillers_of_nothing() -> None:
    assert strip_fillers([]) == ""
