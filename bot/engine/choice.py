"""Which of the offered options did the citizen pick?

After a clarify turn the bot lists 2-3 standard questions. The citizen answers by position
("2", "第二个", "就是第一个吧", "最后那个") or by repeating part of an option's wording
("社保卡丢了补办那个"). `parse_choice` returns the 0-based index, or None when it cannot tell
(ambiguous, out of range, or probably a new question) so the caller can re-ask.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Positions are parsed on a locally cleaned text (not bot.text.normalize), because the shared
# normaliser is free to drop fillers such as "那个" that "最后那个" relies on.
_TRAD = str.maketrans(
    {
        "個": "个",
        "條": "条",
        "項": "项",
        "後": "后",
        "選": "选",
        "擇": "择",
        "種": "种",
        "號": "号",
        "這": "这",
        "邊": "边",
        "點": "点",
        "麼": "么",
        "兩": "两",
    }
)
_NUM = r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})"
_MEASURE = r"(?:个|条|项|种|号|位|行|点)"
_PARTICLE = "吧啊呀呢嘛的了吗哈哦"
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}

# Leading/trailing filler around a bare choice: "就是第二个吧", "我选二", "那就最后一个".
_LEAD_WORDS = (
    "就是 那就 我要 我选择 我选 我想要 我想问 我问 选择 选项 选 要 是 我 嗯 额 呃 那 就 好的 好"
)
_LEAD = re.compile(rf"^(?:{'|'.join(_LEAD_WORDS.split())})+")
_TRAIL = re.compile(rf"^(.*?)(?:[{_PARTICLE}]|谢谢|那个|这个|那条|这条|那项|问题)+$")

# Ordinal mentions, searched anywhere in the cleaned text.
_COUNTDOWN = re.compile(rf"倒数第?{_NUM}{_MEASURE}?")
_ORDINAL = re.compile(rf"第{_NUM}(?:{_MEASURE}|(?=[{_PARTICLE}]|$))")
_WHICH = "(?:一个|一条|一项|那个|那条|那项|这个|这条|的|个|条|项)?"
_LAST = re.compile(rf"(?:最后|最下面|最后面|最末){_WHICH}")
_FIRST = re.compile(rf"(?:最前面|最上面|最前){_WHICH}")
# A bare number is only a choice when it is (nearly) all the citizen said: "2", "选二", "2号".
_BARE = re.compile(rf"{_NUM}{_MEASURE}?")

# Fillers dropped before comparing wording: they carry no meaning about which option.
_WORDING_FILLERS = re.compile(
    "|".join("那个 这个 那条 这条 就是 我要 我选 我想问 我问 关于 的 吧 呢 啊 呀 吗 嗯".split())
)

# Longer than this is a new question or a complaint, not a reply to "which one?" (and it
# bounds the quadratic comparisons below).
_MAX_CHOICE_CHARS = 100
# Beyond this many characters left over next to an ordinal ("第二个孩子的生育津贴怎么领"),
# the text is more likely a new question than a choice; the leftover must then agree.
_MAX_REST = 2
# Wording: characters matched in common runs of 2+ characters.
_MIN_MATCH = 2  # the best option shares at least this many characters
_MIN_MARGIN = 2  # ... this many more than the runner-up
_MIN_COVERAGE = 0.5  # ... and they cover at least half of what the citizen said


def parse_choice(text: str, options: list[str]) -> int | None:
    """The 0-based index of the option `text` picks, or None when it cannot tell."""
    if not text or not options:
        return None
    cleaned = _clean(text)
    if not cleaned or len(cleaned) > _MAX_CHOICE_CHARS:
        return None
    count = len(options)
    found = _mentions(cleaned, count)
    if found:
        indices = {index for index, _, _ in found}
        if len(indices) != 1:
            return None  # "第一个还是第二个" names two
        index = indices.pop()
        if not 0 <= index < count:
            return None
        rest = _remove_spans(cleaned, [(start, end) for _, start, end in found])
        if len(_strip_fillers(rest)) <= _MAX_REST:
            return index
        return index if _match_wording(rest, options) == index else None
    core = _strip_fillers(cleaned)
    bare = _BARE.fullmatch(core)
    if bare:
        index = _to_int(bare.group(1)) - 1
        return index if 0 <= index < count else None
    return _match_wording(text, options)


def _clean(text: str) -> str:
    """Full-width to half-width, a few Traditional characters, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(_TRAD).lower()
    return "".join(c for c in text if unicodedata.category(c)[0] not in "PSZC")


def _strip_fillers(text: str) -> str:
    text = _LEAD.sub("", text)
    trail = _TRAIL.match(text)
    return trail.group(1) if trail else text


def _mentions(text: str, count: int) -> list[tuple[int, int, int]]:
    """(index, start, end) of every ordinal expression; index may be out of range."""
    found: list[tuple[int, int, int]] = []
    taken: list[tuple[int, int]] = []

    def add(index: int, match: re.Match[str]) -> None:
        span = match.span()
        if any(span[0] < end and start < span[1] for start, end in taken):
            return  # "倒数第二个" also contains "第二个"
        taken.append(span)
        found.append((index, *span))

    for match in _COUNTDOWN.finditer(text):
        add(count - _to_int(match.group(1)), match)
    for match in _ORDINAL.finditer(text):
        add(_to_int(match.group(1)) - 1, match)
    for match in _LAST.finditer(text):
        add(count - 1, match)
    for match in _FIRST.finditer(text):
        add(0, match)
    return found


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    keep = [c for i, c in enumerate(text) if not any(s <= i < e for s, e in spans)]
    return "".join(keep)


def _to_int(numeral: str) -> int:
    """'2' -> 2, '二' -> 2, '十二' -> 12, '二十' -> 20; unknown shapes -> 0 (out of range)."""
    if numeral.isdigit():
        return int(numeral)
    if "十" not in numeral:
        return _CN_DIGITS.get(numeral, 0) if len(numeral) == 1 else 0
    tens, _, units = numeral.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return 0
    ten = _CN_DIGITS.get(tens, 0) if tens else 1
    return ten * 10 + (_CN_DIGITS.get(units, 0) if units else 0)


def _match_wording(text: str, options: list[str]) -> int | None:
    norm = _normalizer()
    query = _WORDING_FILLERS.sub("", norm(text))
    if not query:
        return None
    normalized = [norm(option) for option in options]
    # Matched characters never exceed the option's length, so a query over twice the longest
    # option cannot reach the coverage: skip the quadratic comparison for long texts.
    if len(query) > 2 * max(len(o) for o in normalized):
        return None
    scores = [_shared_chars(query, option) for option in normalized]
    ranked = sorted(range(len(options)), key=lambda i: scores[i], reverse=True)
    best = scores[ranked[0]]
    second = scores[ranked[1]] if len(ranked) > 1 else 0
    if best < _MIN_MATCH or best - second < _MIN_MARGIN or best / len(query) < _MIN_COVERAGE:
        return None
    return ranked[0]


def _shared_chars(a: str, b: str) -> int:
    """Characters of `a` covered by common runs (2+ characters) with `b`, in any order:
    "补办丢了的社保卡" and "社保卡丢了怎么补办" share 社保卡 + 丢了 + 补办 = 7."""
    total = 0
    while True:
        i, j, size = _longest_common_run(a, b)
        if size < 2:
            return total
        total += size
        # Different sentinels so the removed runs can never match each other again.
        a = a[:i] + "\x00" * size + a[i + size :]
        b = b[:j] + "\x01" * size + b[j + size :]


def _longest_common_run(a: str, b: str) -> tuple[int, int, int]:
    best = (0, 0, 0)
    previous = [0] * (len(b) + 1)
    for i, ca in enumerate(a, 1):
        current = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                current[j] = previous[j - 1] + 1
                if current[j] > best[2]:
                    best = (i - current[j], j - current[j], current[j])
        previous = current
    return best


@lru_cache(maxsize=1)
def _normalizer() -> Callable[[str], str]:
    """bot.text.normalize.normalize when present (Traditional, full-width, fillers), else a
    local cleaning that also converts Traditional characters if OpenCC is installed."""
    try:
        from bot.text.normalize import normalize
    except ImportError:
        return _fallback_normalize

    def shared(text: str) -> str:
        try:
            result = normalize(text)
        except Exception:  # a normaliser bug must not stop the citizen choosing
            return _fallback_normalize(text)
        return _clean(result) if isinstance(result, str) else _fallback_normalize(text)

    return shared


def _fallback_normalize(text: str) -> str:
    converter = _opencc()
    if converter is not None:
        text = converter(text)
    return _clean(text)


@lru_cache(maxsize=1)
def _opencc() -> Callable[[str], str] | None:
    try:
        import opencc
    except ImportError:
        return None
    converter = opencc.OpenCC("t2s")
    return converter.convert  # type: ignore[no-any-return]
