import pytest
from tokenizers import normalizers

from bot.embed.charsmap import build_precompiled_charsmap

MAPPING = {0xFF21: "A", 0x3000: " ", 0x01: "", 0xFB01: "fi", 0x2460: "1", 0x20000: "X"}


@pytest.fixture(scope="module")
def precompiled() -> normalizers.Precompiled:
    return normalizers.Precompiled(build_precompiled_charsmap(MAPPING))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ａ", "A"),  # 3-byte key
        ("\u3000", " "),
        ("a\x01b", "ab"),  # empty replacement deletes
        ("\ufb01", "fi"),  # one character to two
        ("①②", "1②"),  # ② shares the first two UTF-8 bytes with ① but is not mapped
        ("𠀀", "X"),  # 4-byte key
        ("社保卡", "社保卡"),  # unmapped text passes through
        ("Ａ社\u3000①", "A社 1"),
    ],
)
def test_precompiled_applies_the_mapping(precompiled, text, expected):
    assert precompiled.normalize_str(text) == expected


def test_every_codepoint_outside_the_map_is_left_alone(precompiled):
    # `tokenizers` does not bounds-check the trie: a bad layout panics or maps wrongly here.
    chars = [chr(cp) for cp in range(0x20, 0x30000, 7) if not 0xD800 <= cp < 0xE000]
    unmapped = [c for c in chars if ord(c) not in MAPPING]
    assert [precompiled.normalize_str(c) for c in unmapped] == unmapped


def test_a_nul_in_a_replacement_is_refused():
    with pytest.raises(ValueError, match="U\\+0041 contains NUL"):
        build_precompiled_charsmap({0x41: "a\0"})
