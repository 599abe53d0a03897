"""Word segmentation with a private jieba tokenizer that knows the hotline's vocabulary.

Never the global `jieba.dt`: `jieba.load_userdict` mutates it for every user in the process.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError
from bot.text.normalize import canonicalize, normalize
from bot.text.userdict import DictWord, dictionary_files, read_dictionary

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
# CJK unified ideographs (basic block, extensions A to H) and 〇, the ideographic zero.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
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


def read_hotline_words(dict_dir: Path) -> list[DictWord]:
    """The words of every dictionary in `dict_dir`, in the form they meet normalised text."""
    words = []
    for path in dictionary_files(dict_dir):
        for entry in read_dictionary(path):
            # 身份證 -> 身份证, ID卡 -> id卡: queries are segmented after normalize().
            word = _NOT_ALNUM.sub("", canonicalize(entry.word))
            if not word:
                log.warning("%s: %r has no letters or digits; skipped", entry.source, entry.word)
                continue
            words.append(replace(entry, word=word))
    return words


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
        hmm: bool = False,
    ) -> None:
        self.dict_dir = dict_dir
        self.cache_file = cache_file or _default_cache_file()
        self.stop_words = frozenset(canonicalize(w) for w in stop_words)
        # jieba's HMM joins characters it does not know into new "words". On colloquial and
        # misrecognised speech these are mostly junk (金能领, 我想查, 证要), and BM25 over
        # tokens was slightly better without it (bench/bench_lexical.py); it also costs time.
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
            # Read the dictionaries first: a bad file fails before jieba's slow start.
            entries = [] if self.dict_dir is None else read_hotline_words(self.dict_dir)
            try:
                import jieba
            except ImportError as err:
                raise ConfigError(
                    "jieba is not installed; run `.venv/bin/pip install -r requirements/app.txt`"
                ) from err
            # jieba logs its start at DEBUG to its own stderr handler and again through the
            # root logger: every command printed "Building prefix dict..." twice.
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            try:
                self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                # jieba then logs that it cannot write the cache and rebuilds it each start.
                log.warning("cannot create jieba cache folder %s: %s", self.cache_file, err)
            tokenizer.cache_file = str(self.cache_file)
            tokenizer.initialize()
            for entry in entries:
                tokenizer.add_word(entry.word, entry.freq, entry.tag)
            self._hotline_words = frozenset(e.word for e in entries)
            log.info("jieba: %d hotline words from %s", len(entries), self.dict_dir)
            # Published last: other threads see a tokenizer only once it has every word.
            self._jieba = tokenizer

    @property
    def hotline_words(self) -> frozenset[str]:
        """The dictionary words (in normalised form) that `load()` added."""
        self.load()
        return self._hotline_words

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

        Chosen by bench/bench_lexical.py on faq_eval_dev (top-1 0.68 against 0.44 for jieba
        tokens alone and 0.55 for tokens plus bigrams): jieba's segmentation of colloquial and
        misrecognised speech (射保卡 -> 射 保 卡, 扯证 -> 扯 证) misses the question's words,
        while characters still match through ASR errors (射保卡 shares @保 @卡 #保卡 with
        社保卡). Words are kept only where the hotline dictionary vouches for them.
        """
        normalized = normalize(text)
        terms = cjk_unigrams(normalized) + cjk_bigrams(normalized) + other_runs(normalized)
        if self.dict_dir is not None and normalized:
            words = self.hotline_words
            # HMM only joins characters outside the dictionary, never a dictionary word.
            terms += [t for t in self.cut(normalized, hmm=False) if t in words]
        return terms
