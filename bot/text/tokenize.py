"""Word segmentation with a private jieba tokenizer that knows the hotline's vocabulary.

Never the global `jieba.dt`: `jieba.load_userdict` mutates it for every user in the process.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError
from bot.text.normalize import canonicalize, normalize
from bot.text.userdict import dictionary_files, read_dictionary

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

# Words that say nothing about which FAQ is meant: particles, personal pronouns, and the
# generic "how" words every question has. Kept small on purpose: 哪里 多久 多少 什么 name the
# aspect asked about (where / how long / how much / what) and tell apart FAQs about the same
# service, and BM25's IDF already discounts common words (see bench/bench_lexical.py).
STOP_WORDS: frozenset[str] = frozenset(
    "的 地 得 了 着 过 吗 么 呢 吧 啊 呀 嘛 "
    "我 你 您 他 她 它 我们 你们 他们 咱 咱们 "
    "怎么 如何 怎样 怎么样 咋 请 一下".split()
)

_NOT_ALNUM = re.compile(r"[\W_]+")
# CJK unified ideographs (basic block and extension A).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_RUN = re.compile(f"[{_CJK}]{{2,}}")
# Normalised text holds only letters and digits, so this is every Latin/digit/other-script word.
_OTHER_RUN = re.compile(f"[^{_CJK}]+")
# Character terms live in their own term spaces, apart from words of the same characters.
UNIGRAM_PREFIX = "@"
BIGRAM_PREFIX = "#"


def cjk_unigrams(normalized: str) -> list[str]:
    """Every CJK character of normalised text, prefixed."""
    return [UNIGRAM_PREFIX + ch for ch in _CJK_CHAR.findall(normalized)]


def cjk_bigrams(normalized: str) -> list[str]:
    """Overlapping character bigrams of the CJK runs of normalised text, prefixed."""
    return [
        BIGRAM_PREFIX + run[i : i + 2]
        for run in _CJK_RUN.findall(normalized)
        for i in range(len(run) - 1)
    ]


def other_runs(normalized: str) -> list[str]:
    """The non-CJK words of normalised text: app, 12345, idcard."""
    return _OTHER_RUN.findall(normalized)


def _default_cache_file() -> Path:
    # Per user: another account's /tmp/jieba.cache may be unreadable or stale.
    uid = getattr(os, "getuid", lambda: "user")()
    return Path(tempfile.gettempdir()) / f"hotline-bot-{uid}" / "jieba.cache"


class HotlineTokenizer:
    """jieba segmentation of normalised text with the `*.txt` dictionaries of `dict_dir`.

    `load()` (~1 s: jieba builds its prefix dictionary) runs once, on first use or when called.
    """

    def __init__(
        self,
        dict_dir: Path | None = None,
        cache_file: Path | None = None,
        stop_words: frozenset[str] = STOP_WORDS,
        hmm: bool = True,
    ) -> None:
        self.dict_dir = dict_dir
        self.cache_file = cache_file or _default_cache_file()
        self.stop_words = frozenset(canonicalize(w) for w in stop_words)
        # jieba's HMM joins unknown characters into words; rasa's JiebaTokenizer uses it too.
        self.hmm = hmm
        self._lock = threading.Lock()
        self._jieba: Any = None
        self._hotline_words: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> HotlineTokenizer:
        return cls(settings.kb_dir / "dict", settings.build_dir / "cache" / "jieba.cache")

    def load(self) -> None:
        """Build the private jieba tokenizer and add the dictionary words; idempotent."""
        if self._jieba is not None:
            return
        with self._lock:
            if self._jieba is not None:
                return
            try:
                import jieba
            except ImportError as err:
                raise ConfigError(
                    "jieba is not installed; run `.venv/bin/pip install -r requirements/app.txt`"
                ) from err
            tokenizer = jieba.Tokenizer()
            try:
                self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                # jieba then logs that it cannot write the cache and rebuilds it each start.
                log.warning("cannot create jieba cache folder %s: %s", self.cache_file, err)
            tokenizer.cache_file = str(self.cache_file)
            tokenizer.initialize()
            self._hotline_words = self._add_words(tokenizer)
            # Published last: other threads see a tokenizer only once it has every word.
            self._jieba = tokenizer

    @property
    def hotline_words(self) -> frozenset[str]:
        """The dictionary words (in normalised form) that `load()` added."""
        self.load()
        return self._hotline_words

    def _add_words(self, tokenizer: Any) -> frozenset[str]:
        if self.dict_dir is None:
            return frozenset()
        words: set[str] = set()
        for path in dictionary_files(self.dict_dir):
            for entry in read_dictionary(path):
                # Dictionary words must meet normalised text: 身份證 -> 身份证, ID卡 -> id卡.
                word = _NOT_ALNUM.sub("", canonicalize(entry.word))
                if not word:
                    log.warning("%s: %r has no letters or digits; skipped", entry.source, entry.word)
                    continue
                tokenizer.add_word(word, entry.freq, entry.tag)
                words.add(word)
        log.info("jieba: %d hotline words from %s", len(words), self.dict_dir)
        return frozenset(words)

    def cut(self, normalized: str, hmm: bool | None = None) -> list[str]:
        """Every jieba token of already normalised text, stop words included."""
        self.load()
        use_hmm = self.hmm if hmm is None else hmm
        return [t for t in self._jieba.lcut(normalized, HMM=use_hmm) if t.strip()]

    def tokens(self, text: str) -> list[str]:
        """The words of `text` (normalised here) without stop words."""
        return [t for t in self.cut(normalize(text)) if t not in self.stop_words]

    def terms(self, text: str) -> list[str]:
        """BM25 terms: CJK characters and character bigrams, non-CJK words, hotline words.

        Chosen by bench/bench_lexical.py on faq_eval_dev: jieba's general segmentation of
        colloquial and misrecognised speech (射保卡, 证要, 租是) costs more than it brings, while
        characters still match through ASR errors (射保卡 shares @保 @卡 #保卡 with 社保卡).
        Words are kept only where the hotline dictionary vouches for them.
        """
        normalized = normalize(text)
        terms = cjk_unigrams(normalized) + cjk_bigrams(normalized) + other_runs(normalized)
        if self.dict_dir is not None and normalized:
            words = self.hotline_words
            # HMM only joins characters outside the dictionary, never a dictionary word.
            terms += [t for t in self.cut(normalized, hmm=False) if t in words]
        return terms
