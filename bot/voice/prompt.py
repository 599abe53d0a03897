"""The domain prompt for Whisper: the hotline's own words, so the decoder spells 社保卡 and
公积金 the way the FAQ engine knows them, and writes Simplified characters.

Whisper reads `initial_prompt` as text said before the audio. It only has 224 tokens of
room and a long list of terms makes it more likely to hallucinate them on noise, so the
prompt is short: a lead-in sentence and the terms callers use most.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bot.errors import BotError
from bot.text.userdict import dictionary_files, read_dictionary

log = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 120
LEAD_IN = "12345政务服务热线，市民来电咨询"
SEPARATOR = "、"


def rank_terms(dictionary: Iterable[tuple[str, int | None]], questions: Iterable[str]) -> list[str]:
    """Dictionary words ordered by how many FAQ questions use them (then by dictionary
    frequency). Words no question uses are left out: they are names callers do not say."""
    words = {word: freq or 0 for word, freq in dictionary if len(word) >= 2}
    texts = list(questions)
    usage: Counter[str] = Counter()
    for word in words:
        usage[word] = sum(word in text for text in texts)
    ranked = sorted((w for w in words if usage[w] > 0), key=lambda w: (-usage[w], -words[w], w))
    # A word inside a chosen longer word adds nothing the longer one does not prime.
    chosen: list[str] = []
    for word in ranked:
        if not any(word in other or other in word for other in chosen):
            chosen.append(word)
    return chosen


def compose_prompt(terms: Iterable[str], max_chars: int = MAX_PROMPT_CHARS,
                   lead_in: str = LEAD_IN) -> str:
    """`lead_in` + terms joined by 、 + 。, as many terms as fit in `max_chars`."""
    prompt = lead_in
    added = 0
    for term in terms:
        candidate = prompt + ("：" if added == 0 else SEPARATOR) + term
        if len(candidate) + 1 > max_chars:
            break
        prompt, added = candidate, added + 1
    return prompt + "。"


def build_domain_prompt(kb_dir: Path, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """The prompt for the knowledge base at `kb_dir` (its dict/*.txt and FAQ questions).
    A knowledge base that cannot be read gives the lead-in alone, with a warning: speech
    recognition must not fail because an editor broke a table."""
    from bot.kb.loader import load_kb

    dictionary: list[tuple[str, int | None]] = []
    questions: list[str] = []
    try:
        for path in dictionary_files(kb_dir / "dict"):
            dictionary.extend((w.word, w.freq) for w in read_dictionary(path))
        questions = [q for entry in load_kb(kb_dir) for q in entry.all_questions]
    except BotError as err:
        log.warning("domain prompt: cannot read the knowledge base at %s (%s); "
                    "using the lead-in alone", kb_dir, err)
    prompt = compose_prompt(rank_terms(dictionary, questions), max_chars)
    log.info("whisper domain prompt (%d chars): %s", len(prompt), prompt)
    return prompt
