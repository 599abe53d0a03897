"""The hotline's jieba dictionaries: every `*.txt` in a folder, one `词 [频率] [词性]` a line.

The same files feed rasa's JiebaTokenizer (which hands them to jieba.load_userdict), so the
format is jieba's own; here each line is checked, so a bad line names its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError

# jieba's user-dictionary tags are lower-case letters (n, nz, v, ...).
_TAG = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class DictWord:
    word: str
    freq: int | None  # None: jieba picks a frequency that makes the word win its segmentation
    tag: str | None
    source: str  # file:line, for messages


def dictionary_files(folder: Path) -> list[Path]:
    """The `*.txt` files of `folder`, sorted by name so the load order is reproducible."""
    if not folder.is_dir():
        raise InputError(
            f"jieba dictionary folder {folder} does not exist or is not a folder; "
            "create it (it may be empty) or set the tokenizer's dict_dir to None"
        )
    return sorted(p for p in folder.glob("*.txt") if p.is_file())


def parse_line(line: str, source: str) -> DictWord | None:
    """One dictionary line; None for a blank line."""
    parts = line.split()
    if not parts:
        return None
    if len(parts) > 3:
        raise InputError(
            f"{source}: {line.strip()!r} has {len(parts)} fields; "
            "the format is `词 频率 词性` (a word holds no spaces)"
        )
    word, freq, tag = parts[0], None, None
    for part in parts[1:]:
        if part.isascii() and part.isdigit() and freq is None and tag is None:
            freq = int(part)
        elif _TAG.fullmatch(part) and tag is None:
            tag = part
        else:
            raise InputError(
                f"{source}: {part!r} in {line.strip()!r} is neither a frequency (digits) "
                "nor a part-of-speech tag (lower-case letters, e.g. n); "
                "the format is `词 频率 词性`"
            )
    return DictWord(word, freq, tag, source)


def read_dictionary(path: Path) -> list[DictWord]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path} is not UTF-8 (byte {err.start}); save it as UTF-8, as jieba requires"
        ) from err
    except OSError as err:
        raise InputError(f"cannot read jieba dictionary {path}: {err.strerror}") from err
    words = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = parse_line(line, f"{path}:{number}")
        if entry is not None:
            words.append(entry)
    return words
