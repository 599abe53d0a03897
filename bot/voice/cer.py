"""Character error rate for Mandarin ASR, with the scoring normalisation the benchmark and
the tests share: references and hypotheses differ in how they write the same speech
(AISHELL writes numbers in characters, FLEURS and Whisper in Arabic digits; 幺 is the
spoken 1 of phone numbers), and those differences are not recognition errors.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.text.simplify import to_simplified

DIGIT_CHARS = "零一二三四五六七八九"
_UNITS = ("", "十", "百", "千")
_DIGIT_RUN = re.compile(r"(\d+)(?:\.(\d+))?(%?)")
# Runs that people read digit by digit: phone numbers, codes, years ("2011年").
_LONG_RUN = 5


def _cardinal_4(n: int) -> str:
    """0 < n < 10000 with its 一十 kept: 29 -> 二十九, 105 -> 一百零五, 10 -> 一十."""
    digits = [int(d) for d in f"{n:d}"]
    out: list[str] = []
    zero = False
    for i, d in enumerate(digits):
        if d == 0:
            zero = True
            continue
        if zero and out:
            out.append("零")
        zero = False
        out.append(DIGIT_CHARS[d] + _UNITS[len(digits) - 1 - i])
    return "".join(out)


def cardinal(n: int) -> str:
    """A non-negative integer as a Chinese cardinal: 10 -> 十, 10500 -> 一万零五百."""
    if n == 0:
        return "零"
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        text = _cardinal_4(group)
        if out and (group < 1000 or groups[index + 1] == 0):
            text = "零" + text
        out += text + ("", "万", "亿", "万亿")[index]
    # A leading 一十 is read 十 (十五, 十万), inside a number it keeps its 一 (一百一十).
    return out[1:] if out.startswith("一十") else out


def read_digits(run: str) -> str:
    return "".join(DIGIT_CHARS[int(d)] for d in run)


def spoken_number(run: str, after: str) -> str:
    """How a speaker most likely read an Arabic digit run, given the character after it."""
    if len(run) >= _LONG_RUN or (len(run) > 1 and run[0] == "0"):
        return read_digits(run)
    if after == "年" and len(run) in (2, 4):  # years are read digit by digit
        return read_digits(run)
    return cardinal(int(run))


def digits_to_chinese(text: str, mode: str = "digits") -> str:
    """Arabic digit runs -> Chinese. mode "digits": every digit as its character (1 -> 一,
    2011 -> 二零一一), the literal reading; mode "spoken": as people read them (29 -> 二十九,
    2011年 -> 二零一一年, phone numbers digit by digit, 3.5 -> 三点五, 50% -> 百分之五十)."""
    if mode not in ("digits", "spoken"):
        raise ValueError(f"digit mode {mode!r} is not digits or spoken")

    def replace(match: re.Match[str]) -> str:
        whole, frac, percent = match.group(1), match.group(2), match.group(3)
        after = text[match.end() :].lstrip()[:1]  # "2011 年" as well as "2011年"
        if mode == "digits":
            number = read_digits(whole) + ("点" + read_digits(frac) if frac else "")
            return number + ("百分之" if percent else "")
        number = spoken_number(whole, after) + ("点" + read_digits(frac) if frac else "")
        return ("百分之" + number) if percent else number

    return _DIGIT_RUN.sub(replace, text)


def normalize_for_cer(text: str, digit_mode: str = "digits") -> str:
    """The text as scored: NFKC (full-width to half-width), Simplified, lower case, 幺 -> 一,
    Arabic digits -> Chinese, then no spaces, punctuation or symbols."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = to_simplified(text).replace("幺", "一")
    text = digits_to_chinese(text, digit_mode)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def edit_distance(ref: str, hyp: str) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1)."""
    if len(ref) < len(hyp):
        ref, hyp = hyp, ref
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class CerCount:
    errors: int
    ref_chars: int

    @property
    def cer(self) -> float:
        return self.errors / self.ref_chars if self.ref_chars else float(self.errors > 0)


def cer_count(reference: str, hypothesis: str, digit_mode: str = "digits") -> CerCount:
    ref = normalize_for_cer(reference, digit_mode)
    hyp = normalize_for_cer(hypothesis, digit_mode)
    return CerCount(edit_distance(ref, hyp), len(ref))


def corpus_cer(counts: list[CerCount]) -> float:
    """Errors over reference characters across all utterances (not a mean of ratios)."""
    ref = sum(c.ref_chars for c in counts)
    return sum(c.errors for c in counts) / ref if ref else 0.0
