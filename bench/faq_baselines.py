"""Baseline rankers for bench/bench_faq.py: character TF-IDF, jieba BM25, and Rasa's own FAQ
mechanism (a retrieval intent answered by a ResponseSelector). Each turns labelled queries into
the ScoredQuery rows that bot.engine.evaluate.score_metrics judges, so every method is
calibrated and scored by the same cross-validated procedure as the engine.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from bot.engine.calibrate import ScoredQuery
from bot.engine.queries import LabelledQuery
from bot.index.bm25 import Bm25Index
from bot.index.tfidf import CharTfidfIndex
from bot.kb.model import KnowledgeBase
from bot.text.normalize import normalize
from bot.text.tokenize import HotlineTokenizer

TOP = 10  # candidates kept per query, as FaqMatcher.score_query keeps


@dataclass
class Ranked:
    """A method's scored queries plus what it cost."""

    scored: list[ScoredQuery]
    build_s: float
    query_ms: list[float]
    extra: dict[str, object] = field(default_factory=dict)


def question_rows(kb: KnowledgeBase) -> tuple[list[str], np.ndarray, list[str]]:
    """(every standard/similar question, its entry index, entry ids)."""
    texts: list[str] = []
    owner: list[int] = []
    for i, entry in enumerate(kb):
        for q in entry.all_questions:
            if normalize(q):
                texts.append(q)
                owner.append(i)
    return texts, np.asarray(owner, dtype=np.int64), [e.faq_id for e in kb]


def _scored(expected: str | None, entry_scores: np.ndarray, ids: list[str]) -> ScoredQuery:
    """Entries with a positive score, best first (ties: knowledge-base order)."""
    order = np.argsort(-entry_scores, kind="stable")
    hits = [int(e) for e in order[:TOP] if entry_scores[e] > 0]
    top = float(entry_scores[hits[0]]) if hits else 0.0
    second = float(entry_scores[hits[1]]) if len(hits) > 1 else 0.0
    return ScoredQuery(expected, tuple(ids[e] for e in hits), top, second)


def _rank_lexical(
    queries: list[LabelledQuery],
    doc_scores: Callable[[str], np.ndarray],
    owner: np.ndarray,
    ids: list[str],
) -> tuple[list[ScoredQuery], list[float]]:
    scored, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        rows = doc_scores(q.query)
        entry = np.zeros(len(ids))
        np.maximum.at(entry, owner, rows)
        times.append((time.perf_counter() - t0) * 1000)
        scored.append(_scored(q.expected_faq_id or None, entry, ids))
    return scored, times


def rank_tfidf(kb: KnowledgeBase, queries: list[LabelledQuery]) -> Ranked:
    """bot.index.tfidf.CharTfidfIndex (char 1-2 grams) over every question; entry = max."""
    texts, owner, ids = question_rows(kb)
    t0 = time.perf_counter()
    index = CharTfidfIndex.build(texts)
    build_s = time.perf_counter() - t0
    scored, times = _rank_lexical(queries, index.scores, owner, ids)
    return Ranked(scored, build_s, times, {"ngram_range": [1, 2]})


def rank_bm25(kb: KnowledgeBase, queries: list[LabelledQuery], tk: HotlineTokenizer) -> Ranked:
    """bot.index.bm25 over HotlineTokenizer.terms of every question; entry = max.

    Raw BM25 grows with the query's length, so for thresholds each score is divided by the
    query's IDF mass (sum of its terms' IDF; an unknown term counts the largest IDF): the share
    of the query's evidence an entry matches. This leaves every query's ranking unchanged.
    """
    texts, owner, ids = question_rows(kb)
    tk.load()
    t0 = time.perf_counter()
    index = Bm25Index.build([tk.terms(t) for t in texts])
    build_s = time.perf_counter() - t0
    df = np.diff(index.indptr)
    idf = np.log1p((index.n_docs - df + 0.5) / (df + 0.5))
    unknown_idf = float(np.log1p((index.n_docs + 0.5) / 0.5))

    def doc_scores(query: str) -> np.ndarray:
        terms = tk.terms(query)
        if not terms:
            return np.zeros(index.n_docs)
        mass = sum(
            float(idf[index.vocabulary[t]]) if t in index.vocabulary else unknown_idf
            for t in terms
        )
        return index.scores(terms) / mass

    scored, times = _rank_lexical(queries, doc_scores, owner, ids)
    return Ranked(scored, build_s, times, {"score": "bm25 / query IDF mass", "k1": 1.5, "b": 0.75})


# --- Rasa: retrieval intent faq/<id> with a ResponseSelector -----------------------------------

RETRIEVAL_INTENT = "faq"


def rasa_config(dict_dir: Path | None, selector_epochs: int, diet_epochs: int) -> dict:
    tokenizer: dict[str, object] = {"name": "JiebaTokenizer"}
    if dict_dir is not None:
        tokenizer["dictionary_path"] = str(dict_dir)
    return {
        "recipe": "default.v1",
        "language": "zh",
        "assistant_id": "bench-faq",
        "pipeline": [
            tokenizer,
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1,
             "max_ngram": 3},
            {"name": "DIETClassifier", "epochs": diet_epochs, "entity_recognition": False,
             "random_seed": 42},
            {"name": "ResponseSelector", "epochs": selector_epochs,
             "retrieval_intent": RETRIEVAL_INTENT, "random_seed": 42},
        ],
    }


def _examples(texts: list[str]) -> str:
    # Rasa reads "[text](entity)" inside an example as an entity annotation.
    return "".join(f"- {t.replace('[', '［').replace(']', '］')}\n" for t in texts)


def write_rasa_project(kb: KnowledgeBase, folder: Path, config: dict) -> None:
    nlu = [
        {"intent": f"{RETRIEVAL_INTENT}/{e.faq_id}",
         "examples": _examples([q for q in e.all_questions if q.strip()])}
        for e in kb
    ]
    domain = {
        "version": "3.1",
        "intents": [RETRIEVAL_INTENT],
        "responses": {f"utter_{RETRIEVAL_INTENT}/{e.faq_id}": [{"text": e.answer}] for e in kb},
    }
    dump = lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)  # noqa: E731
    (folder / "nlu.yml").write_text(dump({"version": "3.1", "nlu": nlu}), encoding="utf-8")
    (folder / "domain.yml").write_text(dump(domain), encoding="utf-8")
    (folder / "config.yml").write_text(dump(config), encoding="utf-8")


def rank_rasa(
    kb: KnowledgeBase,
    queries: list[LabelledQuery],
    root: Path,
    dict_dir: Path | None,
    selector_epochs: int = 100,
    diet_epochs: int = 10,
    keep: Path | None = None,
) -> Ranked:
    """Train rasa NLU on the entries' questions in a temp dir, then rank every query."""
    from bot.dialog.rasa_cli import run_rasa, tail  # no rasa import: it runs .venv-rasa

    tmp = Path(tempfile.mkdtemp(prefix="bench-rasa-faq-"))
    try:
        config = rasa_config(dict_dir, selector_epochs, diet_epochs)
        write_rasa_project(kb, tmp, config)
        t0 = time.perf_counter()
        done = run_rasa(
            root,
            ["train", "nlu", "--config", str(tmp / "config.yml"), "--nlu", str(tmp / "nlu.yml"),
             "--domain", str(tmp / "domain.yml"), "--out", str(tmp / "models"),
             "--fixed-model-name", "faq"],
            timeout_s=3600,
        )
        train_s = time.perf_counter() - t0
        model = tmp / "models" / "faq.tar.gz"
        if done.returncode != 0 or not model.is_file():
            raise RuntimeError(
                f"rasa train nlu failed (exit {done.returncode}):\n{tail(done.stdout)}"
            )
        request, result = tmp / "request.json", tmp / "result.jsonl"
        request.write_text(json.dumps({"texts": [q.query for q in queries],
                                       "retrieval_intent": RETRIEVAL_INTENT},
                                      ensure_ascii=False), encoding="utf-8")
        script = Path(__file__).with_name("rasa_response_selector.py")
        t1 = time.perf_counter()
        done = run_rasa(root, [str(script), str(model), str(request), str(result)],
                        timeout_s=1800, python=True)
        parse_wall_s = time.perf_counter() - t1
        if done.returncode != 0 or not result.is_file():
            raise RuntimeError(
                f"rasa parsing failed (exit {done.returncode}):\n{tail(done.stdout)}"
            )
        lines = [json.loads(line) for line in result.read_text(encoding="utf-8").splitlines()]
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for name in ("config.yml", "nlu.yml", "domain.yml", "result.jsonl"):
                shutil.copy(tmp / name, keep / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_s, rows = float(lines[0]["load_s"]), lines[1:]
    if len(rows) != len(queries):
        raise RuntimeError(f"rasa returned {len(rows)} results for {len(queries)} queries")
    scored = []
    for q, row in zip(queries, rows, strict=True):
        ranking = [(key.split("/", 1)[-1], conf) for key, conf in row["ranking"]]
        scored.append(ScoredQuery(
            q.expected_faq_id or None,
            tuple(key for key, _ in ranking[:TOP]),
            ranking[0][1] if ranking else 0.0,
            ranking[1][1] if len(ranking) > 1 else 0.0,
        ))
    intents: dict[str, int] = {}
    for row in rows:
        intents[str(row["intent"])] = intents.get(str(row["intent"]), 0) + 1
    return Ranked(scored, train_s, [float(r["ms"]) for r in rows], {
        "train_wall_s_includes": "rasa CLI start-up + NLU training",
        "model_load_s": round(load_s, 2),
        "parse_process_wall_s": round(parse_wall_s, 1),
        "config": config["pipeline"],
        "predicted_intents": intents,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "(rasa_env sets 1)"),
        "score": "ResponseSelector confidence (softmax over responses)",
    })
