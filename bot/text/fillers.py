"""Filler words and interjections that citizens say around a question, removed before matching.

A filler is only a filler in its place: 就是 opens a clause as filler (就是说，...) but is a word
inside one (这就是); 吧 ends a clause as a particle but is part of 网吧; 喂 opens a call but is a
verb in 喂奶. So each rule is tied to where it may match:

- greetings: only where the text starts (until the first clause that keeps any content);
- clause openers: at the start of every clause (clauses are split at punctuation and spaces);
- clause-final particles: at the end of every clause;
- interjections that never occur inside a Chinese word (嗯 啊 呃 哎): anywhere.

Negations (不, 没) are never removed: 不好意思 is dropped only as the fixed politeness phrase.
Input is lower-case Simplified text without punctuation (see normalize.py).
"""

from __future__ import annotations

import re

# Verbs and nouns that 喂 starts (喂奶 feed a baby; 喂养, 喂食, 喂药, 喂猫 a stray cat).
_GREETING = re.compile(
    r"(?:喂(?![奶养食药猫狗鸽鸟鱼])|你们?好|您们?好|大家好|哈喽|哈啰|嗨|侬好|唔该|在吗"
    r"|hello(?![a-z])|hi(?![a-z])|hey(?![a-z]))"
)

_REQUEST = (
    # 我想问一下, 那我就想咨询一下, 想了解下: a verb of asking after 想/要 is always filler.
    r"(?:那|那么)?(?:我们?)?就?(?:想|要|想要|是想|需要)(?:问问?|咨询|了解|打听|请教)(?:一下|下)?"
    # Without 想/要 the verb needs 一下/下, so 咨询电话 and 了解情况 stay.
    r"|(?:那|那么)?(?:我们?)?(?:请问(?:一下|下)?|问一下|问下|咨询一下|咨询下|了解一下|打听一下"
    r"|打听下|请教一下)"
    r"|麻烦(?:你们?|您)?(?:问一下|问下|问问)?"
    r"|不好意思(?:打扰(?:一下|了)?)?|打扰(?:一下|了|您了|你了)?"
)
# 额 is how ASR often writes 呃, but 额度/额外 are words.
_OPENER = re.compile(
    rf"(?:{_REQUEST}|那个|就是说|就是|哎呀|哎哟|唉|哦|噢|额(?![度外头定满])|然后呢)"
)

# Particles that end a clause; the look-behinds keep words that end in the same character
# (网吧 酒吧 贴吧 氧吧 书吧 茶吧 水吧 话吧 陶吧 迪吧, 干嘛, 毛呢 花呢).
_FINAL = re.compile(
    r"(?:啊|呀|啦|哈|哦|噢|喔|哟|呗|咯|嘞|哇|呐|啰|㗎"
    r"|(?<![网酒贴氧书茶水话陶迪])吧|(?<![干])嘛|(?<![毛花])呢)$"
)

# 呃逆 (hiccups) is a medical word.
_ANYWHERE = re.compile(r"[嗯啊哎]+|呃(?!逆)")

# 我那个社保卡: filler after a pronoun; 那个时候/那个地方/那个人 keep their meaning.
_AFTER_PRONOUN = re.compile(r"(?<=[我你他她])(?:那个)+(?!时候|时|地方|样|些|人)")


def strip_clause(clause: str, at_start: bool) -> str:
    """Remove the fillers of one clause; `at_start` when it opens the text (greetings allowed)."""
    clause = _ANYWHERE.sub("", clause)
    clause = _AFTER_PRONOUN.sub("", clause)
    # Positions, not slices, so a clause of thousands of fillers costs linear time.
    start = 0
    while match := (at_start and _GREETING.match(clause, start)) or _OPENER.match(clause, start):
        if match.end() == start:
            break
        start = match.end()
    clause = clause[start:]
    # Every final particle is one character: test only the last one.
    end = len(clause)
    while end and _FINAL.match(clause, end - 1, end):
        end -= 1
    return clause[:end]


def strip_fillers(clauses: list[str]) -> str:
    """Strip each clause and join them; greetings count only before the first kept content."""
    kept: list[str] = []
    for clause in clauses:
        stripped = strip_clause(clause, at_start=not kept)
        if stripped:
            kept.append(stripped)
    return "".join(kept)
