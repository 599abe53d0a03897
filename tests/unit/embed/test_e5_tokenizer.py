import pytest

from bot.embed.e5_format import read_e5_file
from bot.embed.e5_tokenizer import build_tokenizer, unknown_char_pattern


@pytest.fixture
def tokenizer(tiny_e5):
    return build_tokenizer(read_e5_file(tiny_e5[0]))


def tokens(tokenizer, text: str) -> list[str]:
    return tokenizer.encode(text).tokens


def test_special_tokens_wrap_the_text(tokenizer):
    assert tokens(tokenizer, "ab") == ["<s>", "▁ab", "</s>"]


def test_viterbi_prefers_the_higher_scoring_pieces(tokenizer):
    assert tokens(tokenizer, "社保卡") == ["<s>", "▁", "社保", "卡", "</s>"]


def test_the_bundled_map_is_applied_before_the_pieces(tokenizer):
    assert tokens(tokenizer, "Ａ\x01") == ["<s>", "▁", "A", "</s>"]


def test_runs_of_spaces_collapse_to_one_metaspace(tokenizer):
    assert tokens(tokenizer, "ab\t \u3000ab") == ["<s>", "▁ab", "▁ab", "</s>"]


def test_each_unknown_character_is_its_own_unk(tokenizer):
    # e5.c keeps one <unk> per unknown character; stock `tokenizers` would fuse them.
    assert tokenizer.encode("ab狗猫").ids == [0, 7, 3, 3, 2]  # <s> ▁ab <unk> <unk> </s>


def test_no_metaspace_is_added_after_a_special_token_in_the_text(tokenizer):
    assert tokens(tokenizer, "ab<s>ab") == ["<s>", "▁ab", "<s>", "a", "b", "</s>"]


def test_unknown_pattern_isolates_only_characters_outside_the_pieces():
    from tokenizers import Regex, pre_tokenizers

    split = pre_tokenizers.Split(Regex(unknown_char_pattern(["<s>", "ab", "社保"])), "isolated")
    assert [piece for piece, _ in split.pre_tokenize_str("ab社保狗猫<s>")] == [
        "ab社保", "狗", "猫", "<", "s", ">",
    ]  # fmt: skip
