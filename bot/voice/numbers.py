"""Chinese readings of Arabic numbers, for speech: cardinals (15 -> 十五), digit strings
(12345 -> 一二三四五, phone numbers with 幺 for 1), decimals, years and clock times.

Pure functions on strings of ASCII digits; deciding *which* reading a number in a sentence
needs is speech_text.py's job.
"""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
# On the phone 1 is read 幺 so it cannot be misheard as 七.
PHONE_DIGITS = "零幺二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
_BIG_UNITS = ("", "万", "亿", "万亿")
# Past this a number is read digit by digit: nobody says 万亿 on a hotline.
MAX_CARDINAL = 10**16 - 1


def digits(number: str, phone: bool = False) -> str:
    """Digit by digit: "12345" -> 一二三四五; with phone=True "110" -> 幺幺零."""
    table = PHONE_DIGITS if phone else DIGITS
    return "".join(table[int(ch)] if ch.isdigit() else ch for ch in number)


def _four(n: int) -> str:
    """0-9999 with 零 for inner gaps (1005 -> 一千零五), no leading 零."""
    out: list[str] = []
    gap = False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            gap = bool(out)
            continue
        if gap:
            out.append("零")
            gap = False
        out.append(DIGITS[d] + _SMALL_UNITS[power])
    return "".join(out)


def cardinal(number: int | str) -> str:
    """15 -> 十五, 110 -> 一百一十, 1005 -> 一千零五, 20000 -> 两万, 0 -> 零."""
    n = int(number)
    if n < 0:
        return "负" + cardinal(-n)
    if n > MAX_CARDINAL:
        return digits(str(n))
    if n == 0:
        return "零"
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out: list[str] = []
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or group < 1000):
            out.append("零")
        out.append(_four(group) + _BIG_UNITS[index])
        need_zero = False
    text = "".join(out)
    if text.startswith("一十"):  # 十五, not 一十五 (but 一百一十 keeps its inner 一十)
        text = text[1:]
    if text.startswith("二") and len(text) > 1 and text[1] in "百千万亿":
        text = "两" + text[1:]  # 两千元, 两万人: how it is said
    return text


def decimal(text: str) -> str:
    """ "3.5" -> 三点五, "0.05" -> 零点零五, "10.25" -> 十点二五."""
    whole, _, frac = text.partition(".")
    spoken = cardinal(whole or "0")
    return spoken + ("点" + digits(frac) if frac else "")


def year(text: str) -> str:
    """Years are read digit by digit: 2026 -> 二零二六."""
    return digits(text)


def clock(hour: int, minute: int) -> str:
    """9:00 -> 九点, 9:30 -> 九点三十分, 17:05 -> 十七点零五分, 0:00 -> 零点."""
    spoken = cardinal(hour) + "点"
    if minute == 0:
        return spoken
    if minute < 10:
        return spoken + "零" + DIGITS[minute] + "分"
    return spoken + cardinal(minute) + "分"
