from __future__ import annotations

import threading
import time
from pathlib import Path

import jieba
import pytest

from bot.errors import InputError
from bot.settings import Settings
from bot.text.tokenize import (
    HotlineTokenizer,
    cjk_bigrams,
    cjk_unigrams,
    other_runs,
    read_hotline_words,
)
from tests.unit.text.conftest import FIXTURE_DICT
from tests.unit.text.text_golden import read_golden

GOLDEN = read_golden("golden_segment.tsv")


def test_golden_table_is_not_empty() -> None:
    assert len(GOLDEN) >= 25


@pytest.mark.parametrize(("text", "expected"), GOLDEN, ids=[t for t, _ in GOLDEN])
def test_tokens_golden(tokenizer: HotlineTokenizer, text: str, expected: str) -> None:
    assert tokenizer.tokens(text) == expected.split()


def test_dictionary_words_are_normalised(tokenizer: HotlineTokenizer) -> None:
    # The fixture lists 身份證補辦 and ID卡; queries are matched in normalised form.
    assert {"身份证补办", "id卡", "12345热线"} <= tokenizer.hotline_words


def test_global_jieba_is_untouched(tokenizer: HotlineTokenizer) -> None:
    # Adding the word to jieba.dt (load_userdict, add_word) would initialise it and put the
    # word in its FREQ table.
    assert tokenizer.tokens("个税汇算") == ["个税汇算"]
    assert "个税汇算" not in jieba.dt.FREQ
    assert tokenizer._jieba is not jieba.dt


def test_cache_is_written_where_asked(tokenizer: HotlineTokenizer, jieba_cache: Path) -> None:
    assert tokenizer.cache_file == jieba_cache
    assert jieba_cache.is_file()


def test_stop_words_are_dropped_but_kept_by_cut(tokenizer: HotlineTokenizer) -> None:
    assert tokenizer.cut("我的社保卡怎么办") == ["我", "的", "社保卡", "怎么办"]
    assert tokenizer.tokens("我的社保卡怎么办") == ["社保卡", "怎么办"]


def test_negation_survives(tokenizer: HotlineTokenizer) -> None:
    assert "不能" in tokenizer.tokens("不能补办吗")


def test_terms_are_characters_bigrams_runs_and_hotline_words(
    tokenizer: HotlineTokenizer,
) -> None:
    assert tokenizer.terms("射保卡，用APP办") == [
        "@射",
        "@保",
        "@卡",
        "@用",
        "@办",
        "#射保",
        "#保卡",
        "#卡用",
        "app",
    ]
    assert tokenizer.terms("社保卡") == ["@社", "@保", "@卡", "#社保", "#保卡", "社保卡"]


def test_terms_without_dictionary_do_not_load_jieba(tmp_path: Path) -> None:
    tk = HotlineTokenizer(None, tmp_path / "jieba.cache")
    assert tk.terms("社保卡") == ["@社", "@保", "@卡", "#社保", "#保卡"]
    assert tk._jieba is None


def test_empty_text_has_no_tokens_or_terms(tokenizer: HotlineTokenizer) -> None:
    assert tokenizer.tokens("？！😀") == []
    assert tokenizer.terms("喂，你好") == []


@pytest.mark.parametrize(
    ("function", "text", "expected"),
    [
        (cjk_unigrams, "二〇二四年app", ["@二", "@〇", "@二", "@四", "@年"]),
        (cjk_bigrams, "社保a卡", ["#社保"]),
        (other_runs, "用app办12345", ["app", "12345"]),
    ],
)
def test_character_terms(function, text: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert function(text) == expected


class _SlowFakeJieba:
    """Stands in for jieba.Tokenizer: counts builds, and starts slowly to widen the race."""

    built = 0

    def __init__(self) -> None:
        type(self).built += 1
        self.cache_file = ""

    def initialize(self) -> None:
        time.sleep(0.05)

    def add_word(self, word: str, freq: int | None, tag: str | None) -> None:
        pass

    def lcut(self, text: str, HMM: bool) -> list[str]:  # noqa: N803 (jieba's name)
        return list(text)


def test_load_is_idempotent_and_thread_safe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(jieba, "Tokenizer", _SlowFakeJieba)
    monkeypatch.setattr(_SlowFakeJieba, "built", 0)
    tk = HotlineTokenizer(FIXTURE_DICT, tmp_path / "jieba.cache")
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(tk.tokens("备案"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tk.load()
    assert _SlowFakeJieba.built == 1
    assert results == [["备", "案"]] * 8


def test_from_settings_uses_the_kb_dict_and_build_dir(tmp_path: Path) -> None:
    settings = Settings.load(environ={}, dotenv=None, kb_dir=tmp_path / "kb", build_dir=tmp_path)
    tk = HotlineTokenizer.from_settings(settings)
    assert tk.dict_dir == tmp_path / "kb" / "dict"
    assert tk.cache_file == tmp_path / "cache" / "jieba.cache"


def test_missing_dict_dir_fails_on_load(tmp_path: Path, jieba_cache: Path) -> None:
    tk = HotlineTokenizer(tmp_path / "nope", jieba_cache)
    with pytest.raises(InputError, match=r"nope does not exist"):
        tk.load()
    assert tk._jieba is None


def test_bad_dictionary_line_names_file_and_line(tmp_path: Path, jieba_cache: Path) -> None:
    (tmp_path / "hotline.txt").write_text("社保卡 10 n\n公积金 十 n\n", encoding="utf-8")
    tk = HotlineTokenizer(tmp_path, jieba_cache)
    with pytest.raises(InputError, match=r"hotline.txt:2: '十'"):
        tk.tokens("公积金")
    assert tk._jieba is None


def test_dictionary_words_meet_normalised_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("身份證 10 n\nＩＤ卡\n—— 10\ne-mail 5 n\n", encoding="utf-8")
    words = [(e.word, e.freq, e.tag) for e in read_hotline_words(tmp_path)]
    assert words == [("身份证", 10, "n"), ("id卡", None, None), ("email", 5, "n")]


def test_loading_is_quiet(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """jieba announced its start at DEBUG on its own handler and again through the root
    logger: every command printed "Building prefix dict ..." twice."""
    import logging

    with caplog.at_level(logging.DEBUG):
        HotlineTokenizer(None, tmp_path / "jieba.cache").load()
    assert not [r for r in caplog.records if r.name == "jieba"]
