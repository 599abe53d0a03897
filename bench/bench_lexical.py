"""Lexical retrieval on faq_eval_dev: char TF-IDF vs jieba BM25, top-1 / recall@3 / MRR, latency.

Every standard and similar question is indexed; a query's score for an FAQ entry is the best
score over that entry's questions. Ties rank the expected entry last (a zero score for every
entry is no hit). Run: .venv/bin/python bench/bench_lexical.py [--data DIR] [--scale 100000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.index.bm25 import Bm25Index
from bot.index.tfidf import CharTfidfIndex
from bot.kb.model import SIMILAR_SEPARATOR
from bot.settings import PROJECT_ROOT
from bot.text.normalize import normalize
from bot.text.tokenize import HotlineTokenizer, cjk_bigrams, cjk_unigrams, other_runs

DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "faq_eval_dev"


@dataclass(frozen=True)
class Result:
    name: str
    top1: float
    recall3: float
    mrr: float
    ms_mean: float
    ms_p95: float


def read_data(folder: Path) -> tuple[list[str], list[str], list[int], list[tuple[str, str]]]:
    """(faq ids, question texts, entry index of each question, paraphrase queries)."""
    ids: list[str] = []
    questions: list[str] = []
    owner: list[int] = []
    with open(folder / "kb.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            ids.append(row["faq_id"])
            similar = [q for q in row["similar_questions"].split(SIMILAR_SEPARATOR) if q.strip()]
            for question in [row["question"], *similar]:
                questions.append(question)
                owner.append(len(ids) - 1)
    with open(folder / "queries.csv", encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f)
        queries = [(r["query"], r["expected_faq_id"]) for r in rows if r["kind"] == "paraphrase"]
    return ids, questions, owner, queries


def evaluate(
    name: str,
    score: Callable[[str], np.ndarray],
    ids: list[str],
    owner: np.ndarray,
    queries: list[tuple[str, str]],
) -> Result:
    ranks, times = [], []
    for query, expected in queries:
        start = time.perf_counter()
        doc_scores = score(query)
        entry = np.full(len(ids), -np.inf)
        np.maximum.at(entry, owner, doc_scores)
        times.append((time.perf_counter() - start) * 1000)
        target = entry[ids.index(expected)]
        ranks.append(int(np.sum(entry >= target)))  # the expected entry loses every tie
    r = np.asarray(ranks)
    t = np.asarray(times)
    return Result(
        name,
        float(np.mean(r == 1)),
        float(np.mean(r <= 3)),
        float(np.mean(1 / r)),
        float(t.mean()),
        float(np.percentile(t, 95)),
    )


def bm25_variant(
    questions: list[str], analyse: Callable[[str], list[str]]
) -> Callable[[str], np.ndarray]:
    index = Bm25Index.build([analyse(q) for q in questions])
    return lambda query: index.scores(analyse(query))


def scale_check(tokenizer: HotlineTokenizer, questions: list[str], n_docs: int) -> None:
    """BM25 build and query time on `n_docs` synthetic documents drawn from the KB's terms."""
    rng = random.Random(12345)
    pool = [t for q in questions for t in tokenizer.terms(q)]
    docs = [rng.sample(pool, rng.randint(8, 30)) for _ in range(n_docs)]
    start = time.perf_counter()
    index = Bm25Index.build(docs)
    build_s = time.perf_counter() - start
    probes = [tokenizer.terms(q) for q in questions[:50]]
    start = time.perf_counter()
    for terms in probes:
        index.scores(terms)
    query_ms = (time.perf_counter() - start) / len(probes) * 1000
    print(
        f"\nBM25 at {n_docs} synthetic docs: build {build_s:.2f} s, "
        f"{query_ms:.2f} ms per query (scores only, {len(index.vocabulary)} terms)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="faq_eval_dev folder")
    parser.add_argument("--dict-dir", type=Path, default=PROJECT_ROOT / "knowledge_base" / "dict")
    parser.add_argument("--scale", type=int, default=0, help="also time BM25 on N synthetic docs")
    args = parser.parse_args(argv)
    if not (args.data / "kb.csv").is_file() or not (args.data / "queries.csv").is_file():
        print(
            f"SKIP: {args.data} has no kb.csv/queries.csv (the shared faq_eval_dev data set is "
            "not on this machine); pass --data DIR"
        )
        return 0
    ids, questions, owner_list, queries = read_data(args.data)
    owner = np.asarray(owner_list)
    print(f"{len(ids)} FAQ entries, {len(questions)} questions, {len(queries)} paraphrase queries")

    dict_dir = args.dict_dir if args.dict_dir.is_dir() else None
    cache = PROJECT_ROOT / "build" / "cache" / "jieba.cache"
    tk = HotlineTokenizer(dict_dir, cache)
    tk.load()
    plain = HotlineTokenizer(None, cache)
    no_stop = HotlineTokenizer(dict_dir, cache, stop_words=frozenset())
    with_hmm = HotlineTokenizer(dict_dir, cache, hmm=True)
    print(f"jieba dictionaries: {dict_dir} ({len(tk.hotline_words)} words)")

    def chars(text: str) -> list[str]:
        norm = normalize(text)
        return cjk_unigrams(norm) + cjk_bigrams(norm) + other_runs(norm)

    def tokens_bigrams(t: HotlineTokenizer) -> Callable[[str], list[str]]:
        return lambda text: t.tokens(text) + cjk_bigrams(normalize(text))

    def tokens_chars(t: HotlineTokenizer) -> Callable[[str], list[str]]:
        return lambda text: t.tokens(text) + chars(text)

    variants: list[tuple[str, Callable[[str], np.ndarray]]] = [
        ("char tfidf 1-2", CharTfidfIndex.build(questions, (1, 2)).scores),
        ("char tfidf 1-3", CharTfidfIndex.build(questions, (1, 3)).scores),
        ("bm25 jieba tokens", bm25_variant(questions, tk.tokens)),
        ("bm25 tokens+bigrams", bm25_variant(questions, tokens_bigrams(tk))),
        ("bm25 terms() [chosen]", bm25_variant(questions, tk.terms)),
        # Ablations behind the choices in bot/text/tokenize.py.
        ("bm25 bigrams only", bm25_variant(questions, lambda t: cjk_bigrams(normalize(t)))),
        ("bm25 chars+bigrams (no words)", bm25_variant(questions, chars)),
        ("bm25 all tokens+chars+bigrams", bm25_variant(questions, tokens_chars(tk))),
        ("bm25 tokens, no stop words", bm25_variant(questions, no_stop.tokens)),
        ("bm25 tokens, with HMM", bm25_variant(questions, with_hmm.tokens)),
        ("bm25 tokens, no hotline dict", bm25_variant(questions, plain.tokens)),
        ("bm25 tokens+bigrams, with HMM", bm25_variant(questions, tokens_bigrams(with_hmm))),
        ("bm25 tokens+bigrams, no dict", bm25_variant(questions, tokens_bigrams(plain))),
    ]
    results = [evaluate(name, fn, ids, owner, queries) for name, fn in variants]
    print(f"\n{'method':36} {'top1':>6} {'R@3':>6} {'MRR':>6} {'ms/q':>6} {'p95':>6}")
    for r in results:
        print(
            f"{r.name:36} {r.top1:6.3f} {r.recall3:6.3f} {r.mrr:6.3f} "
            f"{r.ms_mean:6.2f} {r.ms_p95:6.2f}"
        )
    if args.scale:
        scale_check(tk, questions, args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
