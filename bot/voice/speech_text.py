"""Text prepared for speech: what the synthesizer should read for a written answer.

Written answers are for the eye: brackets with asides, URLs, "App", "15个工作日", "9:00-17:00",
"3.5%". Read aloud literally they are noise, and a two-minute answer is too long to listen
to. `prepare_reply` therefore
- shortens a long answer to its first one or two sentences (about 80 characters) and says
  "详细内容已通过短信发送给您。"; the full text is kept beside it as the follow-up (SMS-style)
  text, so the channel can send or show it;
- drops bracketed asides, quotes, markdown and list markers, replaces URLs and e-mail
  addresses by words (a URL read letter by letter helps nobody; the follow-up text has it);
- writes every number the way it is said (numbers.py): dates, times, phone numbers, amounts,
  percentages, ranges; and spells Latin acronyms letter by letter ("App" -> "A P P").
The output holds Chinese characters, Chinese punctuation and spaced capital letters only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.voice import numbers as num

SMS_NOTE = "详细内容已通过短信发送给您。"
DEFAULT_MAX_CHARS = 80

# Full-width digits, Latin letters and a few signs -> ASCII; Chinese punctuation stays.
_WIDTH = {
    code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code) not in "，：；！？（）"
}
_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。；！？、）)】\u4e00-\u9fff]+"
    r"|[A-Za-z0-9.-]+\.(?:gov\.cn|com\.cn|org\.cn|cn|com|net|org)(?:/[^\s，。；！？\u4e00-\u9fff]*)?"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ASIDE = re.compile(r"（[^（）]*）|\([^()]*\)|【[^【】]*】|\[[^\[\]]*\]")
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ①..⑳
_LIST_MARK = re.compile(
    r"(^|[\n：:；;。！？])[ \t]*(?:[（(](\d{1,2})[）)]|(\d{1,2})[.、．)）](?!\d))[ \t]*", re.M
)
_QUOTES = re.compile(r"[“”‘’\"'「」『』《》〈〉*#`>|_^]")
_BULLET = re.compile(r"^[ \t]*[-•·●◆■▪]+[ \t]*", re.M)
_SENTENCE_END = "。！？!?"
_CLAUSE_END = "，；：、,;:"

# After a number these make it an amount or a count (read as a cardinal even when long).
_COUNT_WORDS = set(
    "元万亿千百个人天年月日号岁次周倍户套辆家名位项条件张份页克斤米分秒时点级寸层楼栋室台笔本种类所"
)
_COUNT_WORDS |= {"%", "至", "到", "多", "余", "以", "左", "平", "公", "毫", "厘", "小", "度"}
# Measure words before which 2 is 两 (两个工作日, 两年), not 二 (二月, 二号).
_LIANG_BEFORE = set("个位年天次件张名份周人种套项条本家辆户岁倍")

_UNITS = [
    (re.compile(r"(?<=\d)\s*(?:㎡|m²|m2|平米)"), "平方米"),
    (re.compile(r"(?<=\d)\s*(?:km|KM|千米)"), "公里"),
    (re.compile(r"(?<=\d)\s*(?:kg|KG)"), "公斤"),
    (re.compile(r"(?<=\d)\s*cm"), "厘米"),
    (re.compile(r"(?<=\d)\s*mm"), "毫米"),
    (re.compile(r"(?<=\d)\s*m(?![A-Za-z])"), "米"),
    (re.compile(r"(?<=\d)\s*(?:℃|°C)"), "摄氏度"),
    (re.compile(r"(?<=\d)\s*[Gg]\b"), "G"),
]
_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*[日号]?(?!\d)"
)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?=\s*年)")
_TIME = re.compile(r"(?<![\d.])([01]?\d|2[0-4])\s*[:：]\s*([0-5]\d)(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[\s-](\d{7,8})(?!\d)|(?<!\d)(0\d{2,3})(\d{8})(?!\d)")
_SERVICE = re.compile(r"(?<!\d)([48]00)[\s-]?(\d{3})[\s-]?(\d{4})(?!\d)")
_HOTLINE = re.compile(r"(?<!\d)(12\d{3}|9\d{4})(?![\d.])")  # 12345, 12333, 95588: names of lines
_EMERGENCY = re.compile(
    r"(拨打|致电|报警|电话|热线|急救|火警|打)([:：]?\s*)(1[12]\d)(?!\d)"
    r"|(?<!\d)(110|119|120|122)(?=报警|急救|火警|电话|热线)"
)
_CODE = re.compile(
    r"(?<=[A-Za-z])\s?(\d{3,})(?:-(\d{2,4}))?"
)  # GB 17761, G1501: codes, read digit by digit
_MONEY = re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_RANGE = re.compile(r"(?<=[\d%])\s*[-~～—–－]+\s*(?=\d)")
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")
_INTEGER = re.compile(r"\d+")
_LATIN = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class SpeechText:
    spoken: str  # what the synthesizer reads
    full_text: str  # the whole written reply: the follow-up (SMS-style) text
    follow_up: bool  # True when the spoken text left something out (shortened, a URL...)


def _list_mark(match: re.Match[str]) -> str:
    number = int(match.group(2) or match.group(3))
    return f"{match.group(1)}第{num.cardinal(number)}，"


def clean(text: str) -> tuple[str, bool]:
    """Written text -> speakable prose (numbers still in digits); True when something that
    matters was replaced (a URL or e-mail), so the full text must follow."""
    text = unicodedata.normalize("NFC", text).translate(_WIDTH)
    replaced = False
    if _URL.search(text) or _EMAIL.search(text):
        replaced = True
        text = _EMAIL.sub("邮箱", text)
        text = _URL.sub("网站", text)
    for mark, n in _CIRCLED.items():
        text = text.replace(mark, f"\n{n}、")
    text = _LIST_MARK.sub(_list_mark, text)
    text = _BULLET.sub("", text)
    stripped = text
    for _ in range(3):  # nested asides: （按季（含）30万元）
        stripped = _ASIDE.sub("", stripped)
    if any(ch.isalnum() for ch in stripped):
        text = stripped
    text = re.sub(r"[（）()【】\[\]]", "，", text)
    text = _QUOTES.sub("", text)
    lines = [line.strip(" \t\u3000，,、") for line in text.splitlines()]
    text = "".join(
        line + ("" if line[-1] in _SENTENCE_END + _CLAUSE_END else "。") for line in lines if line
    )
    return _tidy(text), replaced


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t\u3000]+", " ", text)
    text = re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)  # spaces only between Latin
    text = re.sub(r"[，、,]+(?=[。！？；：])", "", text)
    text = re.sub(r"([，。！？；：、])[，、]+", r"\1", text)
    text = re.sub(r"([。！？])[。！？]+", r"\1", text)
    return text.strip(" ，、；：,;:")


def _mobile(m: re.Match[str]) -> str:
    return "，".join(num.digits(g, phone=True) for g in m.groups())


def _landline(m: re.Match[str]) -> str:
    area, local = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return f"{num.digits(area, phone=True)}，{num.digits(local, phone=True)}"


def _emergency(m: re.Match[str]) -> str:
    if m.group(4):
        return num.digits(m.group(4), phone=True)
    return m.group(1) + m.group(2) + num.digits(m.group(3), phone=True)


def _date(m: re.Match[str]) -> str:
    y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group(0)
    return f"{num.year(y)}年{num.cardinal(mo)}月{num.cardinal(d)}日"


def _time(m: re.Match[str]) -> str:
    return num.clock(int(m.group(1)), int(m.group(2)))


def _integer(m: re.Match[str]) -> str:
    token = m.group(0)
    after = m.string[m.end() : m.end() + 1]
    counted = after in _COUNT_WORDS
    if token == "2" and after in _LIANG_BEFORE:
        return "两"
    if len(token) >= 7 and not counted:
        return num.digits(token, phone=True)  # codes, ID and order numbers: read like a phone
    if (len(token) >= 5 and not counted) or (len(token) > 1 and token.startswith("0")):
        return num.digits(token)
    return num.cardinal(token)


def read_numbers(text: str) -> str:
    """Digits and symbols -> the words a speaker says (see the module docstring)."""
    text = text.translate(_WIDTH)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,000 -> 1000
    for pattern, word in _UNITS:
        text = pattern.sub(word, text)
    text = _DATE.sub(_date, text)
    text = _YEAR.sub(lambda m: num.year(m.group(1)), text)
    text = _SERVICE.sub(lambda m: "，".join(num.digits(g, phone=True) for g in m.groups()), text)
    text = _MOBILE.sub(_mobile, text)
    text = _LANDLINE.sub(_landline, text)
    text = _EMERGENCY.sub(_emergency, text)
    text = _HOTLINE.sub(lambda m: num.digits(m.group(1)), text)
    text = _CODE.sub(lambda m: "，".join(num.digits(g) for g in m.groups() if g), text)
    text = _MONEY.sub(lambda m: m.group(1) + "元", text)
    # Dates and phone numbers are words by now, so a dash left between digits is a range.
    text = _RANGE.sub("至", text)
    text = _TIME.sub(_time, text)
    text = _PERCENT.sub(lambda m: "百分之" + num.decimal(m.group(1)), text)
    text = _DECIMAL.sub(lambda m: num.decimal(m.group(0)), text)
    text = _INTEGER.sub(_integer, text)
    text = _LATIN.sub(lambda m: f" {' '.join(m.group(0).upper())} ", text)
    text = re.sub(r"(?<=[元次人天月年件时米])/", "每", text)
    text = text.replace("/", "或").replace("&", "和").replace("+", "加").replace("=", "等于")
    text = "".join(ch for ch in text if _keep(ch))
    return _tidy(text)


def _keep(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category[0] in "LN" or ch == " ":
        return True
    return ch in "，。！？；：、"  # pauses; every other symbol and emoji is dropped


def speakable(text: str) -> str:
    """The whole text, cleaned and with numbers in words (no shortening)."""
    return read_numbers(clean(text)[0])


def _sentences(text: str) -> list[str]:
    return [s for s in re.findall(rf"[^{_SENTENCE_END}]+[{_SENTENCE_END}]?", text) if s.strip()]


def _cut(sentence: str, max_chars: int) -> str:
    """A sentence longer than max_chars, cut at its last clause boundary that fits (or hard
    at max_chars, never inside a number or a Latin word)."""
    head = sentence[:max_chars]
    boundary = max(head.rfind(ch) for ch in _CLAUSE_END)
    if boundary >= max_chars // 3:
        return head[:boundary] + "。"
    end = max_chars
    while (
        end > 1
        and sentence[end - 1].isascii()
        and sentence[end - 1].isalnum()
        and end < len(sentence)
        and sentence[end].isascii()
        and sentence[end].isalnum()
    ):
        end -= 1
    return sentence[:end] + "。"


def shorten(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The first one or two sentences of cleaned text, within about max_chars."""
    sentences = _sentences(text)
    if not sentences:
        return text
    first = sentences[0]
    if len(first) > max_chars:
        return _cut(first, max_chars)
    if len(sentences) > 1 and len(first) + len(sentences[1]) <= max_chars:
        first += sentences[1]
    if first[-1] not in _SENTENCE_END:
        first = first.rstrip(_CLAUSE_END) + "。"
    return first


def prepare_speech(
    text: str, max_chars: int | None = DEFAULT_MAX_CHARS, note: str = SMS_NOTE
) -> SpeechText:
    """One message for speech; max_chars None keeps it whole (e.g. a list of choices)."""
    return prepare_reply([text], max_chars, note)


def prepare_reply(
    messages: Sequence[str], max_chars: int | None = DEFAULT_MAX_CHARS, note: str = SMS_NOTE
) -> SpeechText:
    """A reply of several messages (answer, "did this help?"): each long one is shortened,
    short prompts are kept whole, and the note is said once, after the first shortened one."""
    parts: list[str] = []
    follow_up = False
    for message in messages:
        cleaned, replaced = clean(message)
        if not cleaned:
            continue
        body = cleaned
        if max_chars is not None and len(cleaned) > max_chars:
            body = shorten(cleaned, max_chars)
        left_out = replaced or body != cleaned
        spoken = read_numbers(body)
        if spoken and spoken[-1] not in _SENTENCE_END:
            spoken += "。"
        if left_out and not follow_up:
            spoken += note
        follow_up = follow_up or left_out
        parts.append(spoken)
    return SpeechText(
        "".join(parts), "\n".join(m.strip() for m in messages if m.strip()), follow_up
    )
