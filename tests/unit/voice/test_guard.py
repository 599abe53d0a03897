"""Dropping and trimming Whisper's inventions: golden examples of what it writes on silence,
hum and unintelligible audio (numbers as faster-whisper gave them on real audio where noted),
and real transcripts that must come through unchanged."""

from __future__ import annotations

import pytest

from bot.voice.base import Word
from bot.voice.guard import (
    Segment,
    clean_transcript,
    collapse_repeats,
    invented_segment,
    is_credits,
    parrots_prompt,
    screen_segment,
    screen_segments,
)

PROMPT = "12345政务服务热线，市民来电咨询：公积金、身份证、海川、社保卡、过户、护照、个税。"


def words(text: str, prob: float = 0.9, start: float = 0.0,
          width: float = 0.25) -> tuple[Word, ...]:
    return tuple(Word(ch, start + i * width, start + (i + 1) * width, prob)
                 for i, ch in enumerate(text))


def segment(text: str, prob: float = 0.9, logprob: float = -0.3, no_speech: float = 0.02,
            compression: float = 0.8, start: float = 0.0) -> Segment:
    return Segment(text, words(text, prob, start), logprob, no_speech, compression)


# --- the prompt read back (kept from before) -------------------------------------------

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


def test_no_prompt_no_parrot() -> None:
    assert not parrots_prompt("公积金、身份证、海川、社保卡", "")


# --- loops -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("looped", "kept"),
    [("谢谢谢谢谢谢谢谢", "谢"), ("好的好的好的好的", "好的"), ("的的的的", "的"),
     ("我想问一下的的的的的的", "我想问一下的"), ("我认认认认论论论论论论论论", "我认论"),
     ("请问问问问问问", "请问"), ("社保卡怎么办社保卡怎么办社保卡怎么办", "社保卡怎么办"),
     ("你好你好你好你好你好", "你好")],
)
def test_decoder_loops_collapse(looped: str, kept: str) -> None:
    assert collapse_repeats(looped) == kept


@pytest.mark.parametrize(
    "text",
    ["嗯嗯嗯", "对对对对", "好好好", "嗯嗯嗯嗯嗯", "谢谢谢谢", "社保卡丢了", "看看", "好的好的",
     "13988888888", "2 2 2 4 0 3 2 0", "幺幺零", "一一一一零", "电话是五五五五五六"],
)
def test_real_repeats_are_kept(text: str) -> None:
    """Callers do say 对对对对; phone numbers repeat digits (measured: the old rule cut the
    real 2 2 2 4 0 3 2 0 to 2 4 0 3 2 0)."""
    assert collapse_repeats(text) == text


# --- subtitle credits ----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["字幕由Amara.org社区提供",
                                  "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
                                  "谢谢观看", "感谢您的收看", "谢谢大家收看", "下期再见",
                                  "中文字幕提供", "欢迎订阅我的频道"])
def test_subtitle_credits_are_dropped(text: str) -> None:
    assert is_credits(text)
    assert clean_transcript(text) == ("", "subtitle-credits hallucination")


@pytest.mark.parametrize("text", ["谢谢", "好的谢谢你", "我想取消订阅的短信", "我要给你们点个赞",
                                  "直播打赏能退吗", "下次再见", "谢谢再见"])
def test_callers_words_are_not_credits(text: str) -> None:
    assert not is_credits(text)
    assert clean_transcript(text) == (text, None)


def test_blank_is_nothing_heard() -> None:
    assert clean_transcript(" 。，", PROMPT) == ("", None)


def test_half_character_is_removed() -> None:
    assert clean_transcript("社保卡丢了\ufffd") == ("社保卡丢了", None)


# --- segment numbers -----------------------------------------------------------------------

def test_real_segment_is_kept_unchanged() -> None:
    # 甚至出现交易几乎停制的情况: lp -0.29, no-speech 0.00, compression 0.78
    real = segment("甚至出现交易几乎停制的情况", 0.87, -0.29, 0.0, 0.78)
    assert screen_segment(real) == (real, None)


def test_invention_on_silence_is_dropped() -> None:
    # 5 s of digital silence, no VAD: 你不认识, lp -0.15, no-speech 0.72, words 0.27
    kept, note = screen_segment(segment("你不认识", 0.27, -0.15, 0.72, 12.9))
    assert kept is None and "likely silence" in (note or "")


def test_loop_on_hum_is_dropped() -> None:
    # 50 Hz hum, no VAD: 请问问问..., no-speech 0.79, compression 33, words at one instant
    hum = Segment("请" + "问" * 60, tuple(Word("问", 4.98, 4.98, 0.98) for _ in range(61)),
                  -0.08, 0.79, 33.4)
    kept, note = screen_segment(hum)
    assert kept is None and "no audio" in (note or "")


def test_loop_after_real_words_is_trimmed() -> None:
    looped = segment("我想问一下社保卡的" + "的" * 20, 0.8, -0.4, 0.05, 3.1)
    kept, note = screen_segment(looped)
    assert kept is not None and kept.text == "我想问一下社保卡的"
    assert "".join(w.text for w in kept.words) == "我想问一下社保卡的"
    assert "trimmed" in (note or "")


def test_loop_that_cannot_be_cut_is_dropped() -> None:
    kept, note = screen_segment(segment("这是一句很长的话不会被认出来的循环", compression=2.9))
    assert kept is None and "loop" in (note or "")


def test_very_unlikely_segment_is_dropped() -> None:
    kept, note = screen_segment(segment("靠迷没病", 0.3, -1.5, 0.1))
    assert kept is None and "a guess" in (note or "")


def test_unlikely_but_sure_words_are_kept() -> None:
    """Low log-probability alone (a name, a foreign word) is not enough to drop speech."""
    kept, _ = screen_segment(segment("鲍曼普莱斯", 0.7, -1.3, 0.05))
    assert kept is not None


def test_credits_segment_goes_the_rest_stays() -> None:
    kept, notes = screen_segments([segment("我的社保卡丢了"), segment("谢谢观看", start=3.0)])
    assert [s.text for s in kept] == ["我的社保卡丢了"]
    assert "credits" in notes[0]


def test_lone_unsure_syllable_segment_at_the_end_is_dropped() -> None:
    kept, notes = screen_segments([segment("社保卡怎么补办"), segment("啊", 0.3, start=3.0)])
    assert [s.text for s in kept] == ["社保卡怎么补办"]
    assert "lone trailing syllable" in notes[0]


def test_lone_syllable_after_a_gap_is_trimmed() -> None:
    ws = (*words("怎么补办", 0.9), Word("嗯", 1.8, 2.0, 0.1))  # 0.8 s after 办 ends at 1.0
    kept, _ = screen_segments([Segment("怎么补办嗯", ws, -0.4, 0.02, 0.8)])
    assert kept[0].text == "怎么补办" and len(kept[0].words) == 4


@pytest.mark.parametrize(
    "tail",
    [Word("嗯", 1.05, 1.2, 0.1),  # no gap: part of the speech
     Word("嗯", 1.8, 2.0, 0.6),  # sure of it
     Word("5", 1.8, 2.0, 0.1)],  # a digit: the end of a number
)
def test_real_last_words_are_kept(tail: Word) -> None:
    ws = (*words("怎么补办", 0.9), tail)
    text = "怎么补办" + tail.text
    kept, _ = screen_segments([Segment(text, ws, -0.4, 0.02, 0.8)])
    assert kept[0].text == text


def test_a_single_short_answer_is_kept() -> None:
    """对 alone, even unsure, is a caller's answer to "did that help?"."""
    kept, _ = screen_segments([segment("对", 0.4)])
    assert [s.text for s in kept] == ["对"]


def test_invented_segment_rules() -> None:
    speech = [(0.0, 0.3, 0.9), (0.3, 0.6, 0.8)]
    assert invented_segment(0.01, 0.8, speech) is None
    assert "align to no audio" in (invented_segment(0.4, 0.7, [(3.85, 3.85, 0.1)] * 3) or "")
    unsure = [(2.66, 3.22, 0.1), (3.2, 3.4, 0.8)]
    assert "likely silence" in (invented_segment(0.51, 0.86, unsure) or "")
    assert invented_segment(0.5, 0.8, speech) is None  # sure of its words: keep
    assert invented_segment(0.7, 0.8, [(0.0, 0.3, 0.95)]) is None  # very sure: keep
    assert "a guess" in (invented_segment(0.1, 0.8, [(0.0, 0.3, 0.2)], -1.6) or "")


def test_without_word_times_the_token_probability_decides() -> None:
    assert "likely silence" in (invented_segment(0.7, 0.8, [], -0.9) or "")  # p 0.41
    assert invented_segment(0.7, 0.8, [], -0.1) is None  # p 0.90: sure of the words
    assert "a guess" in (invented_segment(0.1, 0.8, [], -1.5) or "")
