"""What an editor reads about a cluster: its representative question (the medoid, tidied),
a few differently worded examples, keywords, and the categories of its rows.

Keywords are class TF-IDF over the private hotline jieba tokenizer's words (never the global
`jieba.dt`, which `jieba.analyse` would use): a word scores by how many of the cluster's
rows use it times its inverse document frequency over all rows mined, so words every
message has (市, 区, 问题) sink and the words that set the cluster apart rise.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.text.normalize import clean_display, normalize

MAX_EXAMPLES = 5
MAX_KEYWORDS = 5
# A keyword must be shared: used by at least this many of the cluster's rows (when it has
# that many); a word one citizen repeats is not the cluster's topic.
MIN_KEYWORD_ROWS = 2

_CJK = re.compile(r"[\u3400-\u9fff]")
# Words of how citizens write to the hotline, not of what about: every topic has them, and
# as keywords they crowd out the words that name the topic.
GENERIC_WORDS = frozenset(
    "咨询 问题 反映 关于 请求 相关 情况 一些 何时 为何 为什么 什么 能否 是否 解决 希望 建议 "
    "投诉 举报 要求 请问 问问 有关 事宜 事情 怎么 怎么办 如何 哪里 可以 能不能 一下 还是 没有 "
    "已经 现在 我们 你们 他们 严重 强烈 尽快".split()
)
# Openings that carry no question: greetings and forms of address of a letter or a call.
_OPENING = re.compile(
    # A form of address only with 尊敬的 before it or punctuation after it: 市长热线 stays.
    r"^(?:(?:尊敬的(?:各位)?(?:领导|市长|书记|工作人员|同志)?们?"
    r"|(?:各位)?(?:领导|市长|书记|工作人员|同志)们?(?=[：:，,！!]))[：:，,！!\s]*"
    r"|(?:您|你)们?好[，,！!。\s]*"
    r"|(?:请问|问问|咨询一下|想问一下|问一下)[，,：:\s]*)+"
)
_REPEATED_PUNCT = re.compile(r"([！!？?。，,…~～.])\1+")
_EDGE_PUNCT = re.compile(r"^[\s，,。.、；;：:！!~～…\-—]+|[\s，,、；;：:~～\-—]+$")


def tidy_question(text: str) -> str:
    """The question as an editor would write it down: whitespace tidied, greetings and
    repeated punctuation removed (the wording itself is kept)."""
    cleaned = clean_display(text)
    stripped = _OPENING.sub("", cleaned)
    if normalize(stripped):  # never strip a question down to nothing
        cleaned = stripped
    cleaned = _REPEATED_PUNCT.sub(r"\1", cleaned)
    return _EDGE_PUNCT.sub("", cleaned) or clean_display(text)


def medoid(vectors: np.ndarray, centroid: np.ndarray) -> int:
    """The row nearest the centroid (the centroid is the normalised mean, so this is the
    row with the highest mean cosine to the others)."""
    return int(np.argmax(vectors @ centroid))


def examples(texts: Sequence[str], vectors: np.ndarray, centroid: np.ndarray,
             skip: int, limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to `limit` differently worded member texts, nearest the centroid first; `skip` is
    the medoid's index, shown as the representative already."""
    order = np.argsort(-(vectors @ centroid), kind="stable")
    seen = {normalize(texts[skip])}
    chosen: list[str] = []
    for i in order.tolist():
        key = normalize(texts[i])
        if i == skip or key in seen:
            continue
        seen.add(key)
        chosen.append(clean_display(texts[i]))
        if len(chosen) == limit:
            break
    return chosen


def _is_keyword(token: str) -> bool:
    if len(token) < 2 or token.isdigit() or token in GENERIC_WORDS:
        return False
    return bool(_CJK.search(token)) or len(token) >= 3


class KeywordScorer:
    """Class TF-IDF over every row of a run; `tokens` is HotlineTokenizer.tokens."""

    def __init__(self, texts: Sequence[str], tokens: Callable[[str], list[str]]) -> None:
        self._row_terms = [frozenset(t for t in tokens(text) if _is_keyword(t)) for text in texts]
        df: Counter[str] = Counter()
        for terms in self._row_terms:
            df.update(terms)
        n = len(texts)
        self._idf = {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items()}

    def keywords(self, rows: Sequence[int], limit: int = MAX_KEYWORDS) -> list[str]:
        counts: Counter[str] = Counter()
        for i in rows:
            counts.update(self._row_terms[i])
        shared = min(MIN_KEYWORD_ROWS, len(rows))
        scored = [(c * self._idf[t], t) for t, c in counts.items() if c >= shared]
        scored.sort(key=lambda st: (-st[0], st[1]))
        return [t for _, t in scored[:limit]]


def category_counts(categories: Sequence[str]) -> dict[str, int]:
    """Non-empty categories, most frequent first."""
    counts = Counter(c for c in categories if c)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class Description:
    medoid: int  # index into the cluster's rows
    representative: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    categories: dict[str, int]


def describe(
    texts: Sequence[str],
    vectors: np.ndarray,
    centroid: np.ndarray,
    rows: Sequence[int],
    keywords: KeywordScorer,
    categories: Sequence[str],
) -> Description:
    """`texts`, `vectors`, `categories`: the cluster's rows; `rows`: their indices in the
    run, for the keyword scorer."""
    m = medoid(vectors, centroid)
    return Description(
        medoid=m,
        representative=tidy_question(texts[m]),
        examples=tuple(examples(texts, vectors, centroid, m)),
        keywords=tuple(keywords.keywords(rows)),
        categories=category_counts(categories),
    )
