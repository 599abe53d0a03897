"""Drop or trim what Whisper invents instead of hearing.

On noise, silence or unintelligible speech Whisper tends to (a) read its initial prompt
back, (b) loop one phrase (谢谢谢谢谢谢..., 的的的的), (c) produce the subtitle credits
and video outros it saw in training (字幕由Amara.org社区提供, 谢谢观看,
请不吝点赞 订阅 转发 打赏支持明镜与点点栏目), (d) go on after the speech has ended
with a segment of its own (这些东西都不认识, 请问问问问..., 你不认识 on 5 s of digital
silence), or (e) end on a lone syllable or half a
character (byte-level tokens cut inside a UTF-8 sequence). A hotline must treat all of these
as "did not hear you", never as a question.

Two levels: `screen_segments` judges each decoded segment by Whisper's own numbers
(no-speech probability, average log-probability, compression ratio, word timings and
probabilities) and by its text; `clean_transcript` then cleans the joined text (loops,
credits, the prompt read back), which also serves engines without segment numbers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace

from bot.voice.base import Word

# Subtitle credits and video outros from Whisper's training data; never a caller's question.
# Each pattern is specific enough that a caller cannot say it by accident (a caller may say
# 谢谢 or 订阅短信, not 谢谢观看 or 点赞订阅).
_CREDITS = re.compile(
    r"字幕|amara|不吝点赞|点赞订阅|订阅转发|转发打赏|打赏支持|明镜与点点|点点栏目"
    r"|(欢迎|记得|请)(点击)?订阅(我的|我们的|本)?频道"
    r"|(感谢|谢谢)(大家|各位|您)?的?(观看|收看|收听)|下期再见|本期视频|独播剧场|yoyo"
)
# Characters callers do say several times in a row (嗯嗯嗯, 对对对对, 好好好); any other
# character four times in a row (的的的的) is a decoder loop.
_REPEATABLE = set("嗯啊呃额哦噢唔哎诶欸呀哈喂对好是行嘿哼谢不")
_MIN_REPEATS = 3  # a phrase of 2-12 characters this many times in a row is a loop
_MIN_REPEATS_SINGLE = 4
_MIN_REPEATS_REPEATABLE = 6
# Digits are never a loop: 13988888888, 2 2 2 4 0 3 2 0 and 幺幺零 are real numbers.
_DIGITS = set("0123456789零一二三四五六七八九十幺两")
# A transcript this share of which lies in one stretch of the prompt is the prompt read back.
_PARROT_SHARE = 0.6
_PARROT_MIN_CHARS = 8  # two prompt terms in a row (公积金身份证) may still be a caller

# Segment numbers. Measured on the 59-file selection (results/asr/): real speech segments had
# no-speech 0.00-0.08, average log-probability -0.17 to -0.73, compression 0.55-0.93;
# the inventions on silence and hum had no-speech 0.72-0.79.
MAX_COMPRESSION = 2.4  # Whisper's own threshold for a repetitive (looping) segment
NO_SPEECH = 0.6  # Whisper's own no-speech threshold ...
NO_SPEECH_SURE_WORDS = 0.8  # ... unless it is sure of the words it wrote
NO_SPEECH_UNSURE = 0.4  # likely silence while unsure of the words: also not speech
UNSURE_WORDS = 0.5
LOW_LOGPROB = -1.2  # mean token probability under 0.3: the text is a guess
EMPTY_WORD_S = 0.02
# A last word of one character, this unlikely and this far after the word before it, is a
# syllable Whisper made of the trailing silence (a breath, a click).
TAIL_WORD_PROB = 0.3
TAIL_GAP_S = 0.5
TAIL_SEGMENT_PROB = 0.5  # a whole last segment of one character this unlikely: dropped
_BROKEN = "\ufffd"  # what a token cut inside a UTF-8 character decodes to


@dataclass(frozen=True)
class Segment:
    """One decoded stretch of audio with the numbers the decoder gave it."""

    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _mean_prob(words: tuple[Word, ...]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 1.0


def invented_segment(
    no_speech_prob: float,
    compression_ratio: float,
    words: list[tuple[float, float, float]],
    avg_logprob: float | None = None,
) -> str | None:
    """Why a segment is not speech, or None. `words` are (start, end, probability).
    A high compression ratio alone is not a verdict here: `screen_segment` trims the loop."""
    if words:
        empty = sum(end - start < EMPTY_WORD_S for start, end, _ in words)
        if empty * 2 > len(words):
            return f"{empty} of {len(words)} words align to no audio"
    if words:
        mean_prob = sum(p for _, _, p in words) / len(words)
    else:  # without word timestamps: the mean token probability stands in
        mean_prob = math.exp(min(0.0, avg_logprob)) if avg_logprob is not None else 1.0
    if no_speech_prob >= NO_SPEECH and mean_prob < NO_SPEECH_SURE_WORDS:
        return f"likely silence (no-speech {no_speech_prob:.2f}, words {mean_prob:.2f})"
    if no_speech_prob > NO_SPEECH_UNSURE and mean_prob < UNSURE_WORDS:
        return f"likely silence (no-speech {no_speech_prob:.2f}, words {mean_prob:.2f})"
    if avg_logprob is not None and avg_logprob < LOW_LOGPROB and mean_prob < UNSURE_WORDS:
        return f"a guess (log-probability {avg_logprob:.2f}, words {mean_prob:.2f})"
    return None


def _trim_words(words: tuple[Word, ...], text: str) -> tuple[Word, ...]:
    """The words that spell a prefix of `text` (what is left after a loop was cut)."""
    target, kept, said = _plain(text), [], ""
    for word in words:
        said += _plain(word.text)
        if not target.startswith(said):
            break
        kept.append(word)
    return tuple(kept)


def screen_segment(segment: Segment) -> tuple[Segment | None, str | None]:
    """The segment as kept (None: dropped) and what was done to it (None: nothing)."""
    text = segment.text.replace(_BROKEN, "")
    words = tuple(w for w in segment.words if w.text.replace(_BROKEN, "").strip())
    note = "half a character removed" if text != segment.text else None
    if is_credits(text):
        return None, "subtitle-credits hallucination"
    spans = [(w.start_s, w.end_s, w.confidence) for w in words]
    reason = invented_segment(segment.no_speech_prob, segment.compression_ratio, spans,
                              segment.avg_logprob)
    if reason is not None:
        return None, reason
    if segment.compression_ratio > MAX_COMPRESSION or collapse_repeats(text) != text:
        looped = f"a decoder loop (compression ratio {segment.compression_ratio:.1f})"
        trimmed = collapse_repeats(text)
        if (trimmed == text or len(_plain(trimmed)) < 2
                or segment.no_speech_prob > NO_SPEECH_UNSURE):  # no loop found to cut
            return None, looped
        words, note = _trim_words(words, trimmed), looped + ", trimmed"
        text = trimmed
    if not _plain(text):
        return None, note
    return replace(segment, text=text, words=words), note


def screen_segments(segments: list[Segment]) -> tuple[list[Segment], list[str]]:
    """Screen each segment, then the end of the last one (a lone trailing syllable)."""
    kept: list[Segment] = []
    notes: list[str] = []
    for segment in segments:
        result, note = screen_segment(segment)
        if note:
            notes.append(f"{segment.text[:30]!r}: {note}")
        if result is not None:
            kept.append(result)
    if kept:
        last, note = _screen_tail(kept[-1], kept[-2] if len(kept) > 1 else None)
        if note:
            notes.append(f"{kept[-1].text[:30]!r}: {note}")
        kept = kept[:-1] + ([last] if last is not None else [])
    return kept, notes


def _lone(word: Word) -> bool:
    said = _plain(word.text)
    return len(said) == 1 and said not in _DIGITS


def _screen_tail(last: Segment, before: Segment | None) -> tuple[Segment | None, str | None]:
    said = _plain(last.text)
    if len(said) == 1 and said not in _DIGITS and _mean_prob(last.words) < TAIL_SEGMENT_PROB:
        if before is not None:  # a lone unsure syllable after real speech
            return None, "lone trailing syllable dropped"
    words = last.words
    if len(words) >= 2 and _lone(words[-1]) and words[-1].confidence < TAIL_WORD_PROB:
        if words[-1].start_s - words[-2].end_s >= TAIL_GAP_S:
            cut = last.text.rstrip()
            tail = words[-1].text.strip()
            if cut.endswith(tail):
                cut = cut[: len(cut) - len(tail)]
            return replace(last, text=cut, words=words[:-1]), "lone trailing syllable trimmed"
    return last, None


def _loop_unit_ok(unit: str) -> bool:
    return not (set(_plain(unit)) <= _DIGITS)


def collapse_repeats(text: str) -> str:
    """Cut a unit repeated back to back down to one copy (请问问问问问问 -> 请问,
    好的好的好的 -> 好的, 的的的的 -> 的). Shortest unit first, so 认认论论论论论 is not read
    as 论论 twice. Digit runs (phone numbers) and 嗯嗯嗯 / 对对对 are left alone."""
    previous = None
    while previous != text:
        previous = text
        for size in range(1, 13):
            loop = re.compile(rf"(.{{{size}}})\1{{{_MIN_REPEATS - 1},}}", re.DOTALL)

            def cut(match: re.Match[str], size: int = size) -> str:
                unit = match.group(1)
                times = len(match.group(0)) // size
                if not _loop_unit_ok(unit) or not _plain(unit):
                    return match.group(0)
                if size == 1:
                    need = _MIN_REPEATS_REPEATABLE if unit in _REPEATABLE else _MIN_REPEATS_SINGLE
                    if times < need:
                        return match.group(0)
                return unit

            text = loop.sub(cut, text)
    return text


def longest_common_substring(a: str, b: str) -> int:
    best = 0
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0]
        for j, other in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if ch == other else 0)
        best = max(best, max(current))
        previous = current
    return best


def parrots_prompt(text: str, prompt: str) -> bool:
    """True when `text` is (mostly) a stretch of `prompt` read back. A short transcript that
    happens to be one prompt term (社保卡) is a real answer, so the stretch must be long."""
    said, primed = _plain(text), _plain(prompt)
    if not said or not primed:
        return False
    run = longest_common_substring(said, primed)
    return run >= _PARROT_MIN_CHARS and run >= _PARROT_SHARE * len(said)


def is_credits(text: str) -> bool:
    return bool(_CREDITS.search(_plain(text)))


def clean_transcript(text: str, prompt: str = "") -> tuple[str, str | None]:
    """The transcript with decoder loops collapsed and broken characters removed, or "" and
    the reason it was dropped."""
    text = collapse_repeats(text.replace(_BROKEN, "").strip())
    if not _plain(text):
        return "", None
    if is_credits(text):
        return "", "subtitle-credits hallucination"
    if prompt and parrots_prompt(text, prompt):
        return "", "transcript repeats the domain prompt"
    return text, None
