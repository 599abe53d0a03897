from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import InputError
from bot.text.userdict import DictWord, dictionary_files, parse_line, read_dictionary


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("社保卡 1000 n", DictWord("社保卡", 1000, "n", "f:1")),
        ("社保卡 1000", DictWord("社保卡", 1000, None, "f:1")),
        ("社保卡 n", DictWord("社保卡", None, "n", "f:1")),
        ("社保卡", DictWord("社保卡", None, None, "f:1")),
        ("  社保卡\t5\tnz  ", DictWord("社保卡", 5, "nz", "f:1")),
    ],
)
def test_parse_line(line: str, expected: DictWord) -> None:
    assert parse_line(line, "f:1") == expected


@pytest.mark.parametrize("line", ["", "   ", "\t"])
def test_blank_line_is_skipped(line: str) -> None:
    assert parse_line(line, "f:1") is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("社保卡 很多 n", r"'很多' .* neither a frequency"),
        ("社保卡 n 1000", r"'1000' .* neither a frequency"),
        ("社保卡 1000 N", r"'N' .* neither a frequency"),
        ("社保卡 １０ n", r"'１０' .* neither a frequency"),
        ("社保 卡 10 n", r"has 4 fields"),
    ],
)
def test_bad_line_names_its_place(line: str, message: str) -> None:
    with pytest.raises(InputError, match=rf"^dict.txt:7: .*{message}"):
        parse_line(line, "dict.txt:7")


def test_read_dictionary_numbers_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("\ufeff社保卡 10 n\n\n异地就医\n", encoding="utf-8")
    assert read_dictionary(path) == [
        DictWord("社保卡", 10, "n", f"{path}:1"),
        DictWord("异地就医", None, None, f"{path}:3"),
    ]


def test_gbk_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("社保卡 10 n\n".encode("gbk"))
    with pytest.raises(InputError, match=r"gbk.txt is not UTF-8 .*save it as UTF-8"):
        read_dictionary(path)


def test_dictionary_files_are_the_sorted_txt_files(tmp_path: Path) -> None:
    for name in ["b.txt", "a.txt", "notes.md"]:
        (tmp_path / name).write_text("词\n", encoding="utf-8")
    (tmp_path / "dir.txt").mkdir()
    assert dictionary_files(tmp_path) == [tmp_path / "a.txt", tmp_path / "b.txt"]


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing does not exist .*create it"):
        dictionary_files(tmp_path / "missing")
