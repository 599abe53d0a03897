"""Drop what Whisper invents instead of hearing.

On noise, silence or unintelligible speech Whisper tends to (a) read its initial prompt
back, (b) loop one phrase (谢谢谢谢谢谢...), (c) produce the subtitle credits it saw in
training (字幕由Amara.org社区提供), or (d) go on after the speech has ended with a segment of
its own (这些东西都不认识, 请问问问问...; measured on the real recordings, far more often with
a prompt). A hotline must treat all of these as "did not hear you", never as a question.
"""

from __future__ import annotations

import re
import unicodedata

# Whole-transcript hallucinations from subtitle training data; never a caller's question.
_CREDITS = re.compile(
    r"字幕|amara|订阅|点赞|打赏|明镜|感谢观看|谢谢观看|谢谢收看|下期再见|独播剧场|yoyo"
)
# A phrase of 1-12 characters said this many times in a row is a decoder loop.
_MIN_REPEATS = 3
_MIN_REPEATS_SINGLE = 5  # 1-character runs: 嗯嗯嗯 is real, 对对对对对对 rarely
# A transcript this share of which lies in one stretch of the prompt is the prompt read back.
_PARROT_SHARE = 0.6
_PARROT_MIN_CHARS = 8  # two prompt terms in a row (公积金身份证) may still be a caller


# An invented segment: its words align to no audio (start == end), or Whisper itself thought
# the window was likely silence while being unsure of the words.
_MAX_COMPRESSION = 2.4  # Whisper's own threshold for a repetitive (looping) segment
_EMPTY_WORD_S = 0.02
_NO_SPEECH = 0.4
_LOW_WORD_PROB = 0.5


def invented_segment(
    no_speech_prob: float, compression_ratio: float, words: list[tuple[float, float, float]]
) -> str | None:
    """Why a Whisper segment is not speech, or None. `words` are (start, end, probability)."""
    if compression_ratio > _MAX_COMPRESSION:
        return f"a decoder loop (compression ratio {compression_ratio:.1f})"
    if words:
        empty = sum(end - start < _EMPTY_WORD_S for start, end, _ in words)
        if empty * 2 > len(words):
            return f"{empty} of {len(words)} words align to no audio"
        mean_prob = sum(p for _, _, p in words) / len(words)
        if no_speech_prob > _NO_SPEECH and mean_prob < _LOW_WORD_PROB:
            return f"likely silence (no-speech {no_speech_prob:.2f}, words {mean_prob:.2f})"
    return None


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def collapse_repeats(text: str) -> str:
    """Cut a unit repeated back to back down to one copy (请问问问问问问 -> 请问,
    好的好的好的 -> 好的). Shortest unit first, so 认认论论论论论 is not read as 论论 twice."""
    previous = None
    while previous != text:
        previous = text
        for size in range(1, 13):
            times = _MIN_REPEATS_SINGLE if size == 1 else _MIN_REPEATS
            loop = rf"(.{{{size}}})\1{{{times - 1},}}"
            text = re.sub(loop, r"\1", text, flags=re.DOTALL)
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
    """The transcript with decoder loops collapsed, or "" and the reason it was dropped."""
    text = collapse_repeats(text.strip())
    if not _plain(text):
        return "", None
    if is_credits(text):
        return "", "subtitle-credits hallucination"
    if prompt and parrots_prompt(text, prompt):
        return "", "transcript repeats the domain prompt"
    return text, None
