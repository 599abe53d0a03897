"""Dropping Whisper's inventions: the prompt read back, decoder loops, subtitle credits."""

from __future__ import annotations

import pytest

from bot.voice.guard import clean_transcript, collapse_repeats, invented_segment, parrots_prompt

PROMPT = "12345政务服务热线，市民来电咨询：公积金、身份证、海川、社保卡、过户、护照、个税。"


@pytest.mark.parametrize(
    "text",
    ["公积金、身份证、海川、社保卡", "市民来电咨询公积金",
     "12345政务服务热线，市民来电咨询：公积金、身份证",
     "政务服务热线市民来电咨询。"],
)
def test_prompt_read_back_is_dropped(text: str) -> None:
    assert parrots_prompt(text, PROMPT)
    assert clean_transcript(text, PROMPT) == ("", "transcript repeats the domain prompt")


@pytest.mark.parametrize(
    "text",
    ["社保卡", "我的社保卡丢了怎么补办", "公积金身份证", "我想问一下公积金和身份证的事情",
     "护照过期了还能出国吗"],
)
def test_real_questions_with_prompt_terms_are_kept(text: str) -> None:
    assert clean_transcript(text, PROMPT) == (text, None)


@pytest.mark.parametrize(
    ("looped", "kept"),
    [("谢谢谢谢谢谢谢谢", "谢"), ("好的好的好的好的", "好的"),
     ("我认认认认论论论论论论论论", "我认认认认论"),
     ("请问问问问问问", "请问"), ("嗯嗯嗯", "嗯嗯嗯"), ("社保卡丢了", "社保卡丢了")],
)
def test_decoder_loops_collapse(looped: str, kept: str) -> None:
    assert collapse_repeats(looped) == kept


@pytest.mark.parametrize("text", ["字幕由Amara.org社区提供",
                                  "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
                                  "谢谢观看"])
def test_subtitle_credits_are_dropped(text: str) -> None:
    assert clean_transcript(text)[0] == ""


def test_blank_is_nothing_heard() -> None:
    assert clean_transcript(" 。，", PROMPT) == ("", None)


def test_no_prompt_no_parrot() -> None:
    assert not parrots_prompt("公积金、身份证、海川、社保卡", "")


def test_invented_segment_rules() -> None:
    speech = [(0.0, 0.3, 0.9), (0.3, 0.6, 0.8)]
    assert invented_segment(0.01, 0.8, speech) is None
    assert "loop" in (invented_segment(0.7, 16.0, speech) or "")
    assert "align to no audio" in (invented_segment(0.4, 0.7, [(3.85, 3.85, 0.1)] * 3) or "")
    unsure = [(2.66, 3.22, 0.1), (3.2, 3.4, 0.8)]
    assert "likely silence" in (invented_segment(0.51, 0.86, unsure) or "")
    assert invented_segment(0.5, 0.8, speech) is None  # sure of its words: keep
