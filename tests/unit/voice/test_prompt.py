"""The Whisper domain prompt: hotline words ranked by how often FAQ questions use them."""

from __future__ import annotations

from pathlib import Path

from bot.voice.prompt import (
    LEAD_IN,
    MAX_PROMPT_CHARS,
    build_domain_prompt,
    compose_prompt,
    rank_terms,
)

QUESTIONS = ["社保卡丢了怎么办", "社保卡怎么激活", "公积金怎么提取", "居住证办理", "社会保障卡补办"]


def test_rank_by_question_usage() -> None:
    ranked = rank_terms([("公积金", 100), ("社保卡", 10), ("居住证", 5000)], QUESTIONS)
    assert ranked == ["社保卡", "居住证", "公积金"]  # 2 questions, then freq breaks 1-1 ties


def test_unused_and_single_char_words_left_out() -> None:
    words = [("海川市水务集团", 1000), ("卡", 10), ("公积金", None)]
    assert rank_terms(words, QUESTIONS) == ["公积金"]


def test_overlapping_words_add_nothing() -> None:
    """社保 (in all three questions) is chosen; 社保卡 and 电子社保卡 would only repeat it."""
    ranked = rank_terms([("社保卡", 10), ("电子社保卡", 5), ("社保", 1), ("公积金", 1)],
                        ["电子社保卡", "社保卡", "社保", "公积金"])
    assert ranked == ["社保", "公积金"]


def test_compose_respects_limit() -> None:
    prompt = compose_prompt([f"词语{i:02d}" for i in range(100)], max_chars=40)
    assert len(prompt) <= 40
    assert prompt.startswith(LEAD_IN + "：词语00、词语01")
    assert prompt.endswith("。")


def test_compose_without_terms() -> None:
    assert compose_prompt([]) == LEAD_IN + "。"


def test_build_from_kb_folder(tmp_path: Path) -> None:
    (tmp_path / "dict").mkdir()
    words = "社保卡 2000 n\n公积金 1000 n\n海川燃气 10 nt\n"
    (tmp_path / "dict" / "a.txt").write_text(words, encoding="utf-8")
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.csv").write_text(
        "faq_id,category,question,similar_questions,answer\n"
        "F1,社保,社保卡丢了怎么办？,社保卡掉了|社保卡补办,请携带身份证补办。\n"
        "F2,公积金,公积金怎么提取？,,在线提取。\n",
        encoding="utf-8",
    )
    prompt = build_domain_prompt(tmp_path)
    assert prompt == LEAD_IN + "：社保卡、公积金。"


def test_bundled_kb_prompt_is_short_and_simplified() -> None:
    from bot.settings import PROJECT_ROOT
    from bot.text.simplify import to_simplified

    prompt = build_domain_prompt(PROJECT_ROOT / "knowledge_base")
    assert len(prompt) <= MAX_PROMPT_CHARS
    assert "社保卡" in prompt and "公积金" in prompt
    assert to_simplified(prompt) == prompt


def test_broken_kb_gives_lead_in(tmp_path: Path) -> None:
    (tmp_path / "dict").mkdir()
    (tmp_path / "dict" / "bad.txt").write_text("社保卡 2000 n extra field\n", encoding="utf-8")
    assert build_domain_prompt(tmp_path) == LEAD_IN + "。"
