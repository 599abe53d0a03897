"""A character n-gram language model of Chinese, for rescoring Whisper's n-best list.

Whisper base often hears the right sounds and writes a homophone (停制 for 停滞, 住在市场 for
住宅市场, 政绩会 for 证监会); its beam usually holds the right text a few places down. A
character trigram model of the hotline's own text (its message history, the knowledge
base) knows which of those strings Chinese writing uses, and rescore.py lets it choose.

Interpolated Witten-Bell estimates over runs of CJK characters (anything else ends a run),
each run between a start and an end symbol:

    P(c | h) = (C(h c) + T(h) P(c | h')) / (C(h) + T(h))

where h' is h without its first character, C(h) the count of h as a history, T(h) the
number of different characters seen after it, and the unigram is add-one smoothed. Counts
are kept as sorted numpy arrays of packed keys (15 bits a character), so a model of six
million characters takes ~30 MB and loads in well under a second.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import InputError, ModelNotBuiltError

__all__ = ["CharNgramLM", "cjk_runs"]

CJK_FIRST, CJK_LAST = 0x4E00, 0x9FFF  # CJK Unified Ideographs: what Mandarin text is written in
BOS, EOS = 1, 2  # ids 1 and 2; a character is ord - CJK_FIRST + 3 (at most 20,995 < 2**15)
BITS = 15
MAX_ORDER = 4  # four 15-bit ids fit an int64 key
_RUN = re.compile(f"[{chr(CJK_FIRST)}-{chr(CJK_LAST)}]+")
ARRAYS = "lm.npz"
META = "lm.json"


def cjk_runs(text: str) -> list[str]:
    """The runs of CJK characters in `text` (punctuation, Latin and digits end a run)."""
    return _RUN.findall(text)


def _ids(runs: Iterable[str]) -> np.ndarray:
    """Runs -> one int64 array: BOS, the run's character ids, EOS, next run ..."""
    joined = "".join(f"\x01{run}\x02" for run in runs)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    ids = codes - CJK_FIRST + 3
    ids[codes == 1] = BOS
    ids[codes == 2] = EOS
    return ids


def _keys(ids: np.ndarray, order: int) -> np.ndarray:
    """Packed keys of every n-gram of `order` that does not cross a run boundary."""
    n = len(ids) - order + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    for j in range(order):
        column = ids[j : j + n]
        keys = (keys << BITS) | column
        if j < order - 1:
            valid &= column != EOS  # an end symbol only as the last character
        if j > 0:
            valid &= column != BOS  # a start symbol only as the first
    return keys[valid]


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[keys == q] for each q, 0 where absent (keys sorted)."""
    if keys.size == 0:
        return np.zeros(query.shape, dtype=np.float64)
    at = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    return np.where(keys[at] == query, values[at], 0).astype(np.float64)


@dataclass
class _Level:
    """Counts of the n-grams of one order and of their histories (order - 1 characters)."""

    keys: np.ndarray
    counts: np.ndarray
    hist_keys: np.ndarray
    hist_counts: np.ndarray  # C(h): how often h was followed by anything
    hist_types: np.ndarray  # T(h): how many different characters followed h


class CharNgramLM:
    def __init__(self, order: int, unigram_ids: np.ndarray, unigram_counts: np.ndarray,
                 levels: list[_Level], meta: dict[str, object] | None = None) -> None:
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order {order} is not 1-{MAX_ORDER}")
        self.order = order
        self.unigram = np.zeros(1 << BITS, dtype=np.float64)
        self.unigram[unigram_ids] = unigram_counts
        self.total = float(self.unigram.sum())
        self.vocab = int(np.count_nonzero(self.unigram)) + 1  # + 1: the unseen character
        self.levels = levels  # levels[k - 2] holds the k-grams, k = 2 .. order
        self.meta = meta or {}

    # -- building -------------------------------------------------------------------------

    @classmethod
    def fit(cls, texts: Iterable[str], order: int = 3) -> CharNgramLM:
        """Count the CJK runs of `texts` (an iterable, read once)."""
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order {order} is not 1-{MAX_ORDER}")
        parts = [_ids(cjk_runs(text)) for text in texts]
        ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        characters = ids[ids > EOS]
        if characters.size == 0:
            raise InputError("no Chinese text to build a language model from")
        uni_ids, uni_counts = np.unique(ids[ids != BOS], return_counts=True)
        levels = []
        for k in range(2, order + 1):
            keys, counts = np.unique(_keys(ids, k), return_counts=True)
            hist, first = np.unique(keys >> BITS, return_index=True)
            hist_counts = np.add.reduceat(counts, first) if keys.size else counts
            hist_types = np.diff(np.append(first, keys.size))
            levels.append(_Level(keys, counts.astype(np.int32), hist,
                                 hist_counts.astype(np.int64), hist_types.astype(np.int32)))
        meta = {"order": order, "characters": int(characters.size),
                "runs": int(np.count_nonzero(ids == BOS)),
                "ngrams": [int(uni_ids.size)] + [int(level.keys.size) for level in levels]}
        return cls(order, uni_ids, uni_counts, levels, meta)

    # -- scoring --------------------------------------------------------------------------

    def score(self, text: str) -> tuple[float, int]:
        """Natural-log probability of the CJK runs of `text` (each with its end symbol) and
        how many symbols were scored; (0.0, 0) for text without Chinese characters."""
        ids = _ids(cjk_runs(text))
        if ids.size == 0:
            return 0.0, 0
        prob = self._probs(ids)
        scored = ids[1:] != BOS  # a run's start symbol is given, not predicted
        return float(np.log(prob[scored]).sum()), int(scored.sum())

    def prob(self, context: str, char: str) -> float:
        """P(char | the CJK characters of `context`, from the start of a run); `char` ""
        is the end of the run."""
        if char and (len(char) != 1 or not cjk_runs(char)):
            raise ValueError(f"{char!r} is not one CJK character")
        ids = _ids(["".join(cjk_runs(context))])[:-1]  # BOS + the context, without its EOS
        following = _ids([char])[1:2] if char else np.array([EOS], dtype=np.int64)
        return float(self._probs(np.concatenate([ids, following]))[-1])

    def _probs(self, ids: np.ndarray) -> np.ndarray:
        """P(ids[i] | what precedes it) for i = 1 .. len - 1."""
        target = ids[1:]
        prob = (self.unigram[target] + 1.0) / (self.total + self.vocab)
        positions = np.arange(target.size)
        for k, level in enumerate(self.levels, start=2):
            # the k - 1 symbols before each target; positions too near a run start, or whose
            # history crosses a boundary, keep the lower order's estimate
            hist = np.zeros(target.size, dtype=np.int64)
            ok = np.ones(target.size, dtype=bool)
            for back in range(k - 1, 0, -1):
                pos = positions + 1 - back
                inside = pos >= 0
                column = np.where(inside, ids[np.maximum(pos, 0)], 0)
                ok &= inside & (column != EOS) & ((column != BOS) | (back == k - 1))
                hist = (hist << BITS) | column
            seen = _lookup(level.hist_keys, level.hist_counts, hist)
            types = _lookup(level.hist_keys, level.hist_types, hist)
            count = _lookup(level.keys, level.counts, (hist << BITS) | target)
            use = ok & (seen > 0)
            mixed = (count + types * prob) / np.where(use, seen + types, 1.0)
            prob = np.where(use, mixed, prob)
        return prob

    @property
    def characters(self) -> int:
        """How many Chinese characters the model was counted from."""
        return int(self.unigram[EOS + 1 :].sum())

    def per_char(self, text: str) -> float | None:
        """Mean log-probability per scored symbol; None without Chinese characters."""
        logprob, n = self.score(text)
        return logprob / n if n else None

    def perplexity(self, texts: Iterable[str]) -> float:
        total, n = 0.0, 0
        for text in texts:
            logprob, count = self.score(text)
            total, n = total + logprob, n + count
        return math.exp(-total / n) if n else float("inf")

    # -- files ----------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the arrays and a JSON description into `folder` (replaced atomically enough
        for one builder: arrays first, the description, which marks the model built, last)."""
        folder.mkdir(parents=True, exist_ok=True)
        nonzero = np.flatnonzero(self.unigram)
        arrays: dict[str, np.ndarray] = {
            "unigram_ids": nonzero, "unigram_counts": self.unigram[nonzero].astype(np.int64)}
        for k, level in enumerate(self.levels, start=2):
            arrays.update({f"keys{k}": level.keys, f"counts{k}": level.counts,
                           f"hist_keys{k}": level.hist_keys, f"hist_counts{k}": level.hist_counts,
                           f"hist_types{k}": level.hist_types})
        (folder / META).unlink(missing_ok=True)
        tmp = folder / (ARRAYS + ".tmp.npz")
        np.savez(tmp, **arrays)  # type: ignore[arg-type]
        tmp.replace(folder / ARRAYS)
        (folder / META).write_text(json.dumps(self.meta, ensure_ascii=False, indent=1) + "\n",
                                   encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> CharNgramLM:
        meta_path, arrays_path = folder / META, folder / ARRAYS
        if not meta_path.is_file() or not arrays_path.is_file():
            raise ModelNotBuiltError(
                f"no ASR language model in {folder}: run `bot build lm` "
                "(or set BOT_ASR_LM_WEIGHT=0)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            order = int(meta["order"])
            with np.load(arrays_path) as data:
                levels = [_Level(data[f"keys{k}"], data[f"counts{k}"], data[f"hist_keys{k}"],
                                 data[f"hist_counts{k}"], data[f"hist_types{k}"])
                          for k in range(2, order + 1)]
                return cls(order, data["unigram_ids"], data["unigram_counts"], levels, meta)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            raise ModelNotBuiltError(
                f"the ASR language model in {folder} is unreadable ({err}); rebuild it with "
                "`bot build lm --force`") from err


def is_built(folder: Path) -> bool:
    return (folder / META).is_file() and (folder / ARRAYS).is_file()
