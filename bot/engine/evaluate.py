"""Evaluating the FAQ engine on a knowledge base and labelled queries.

Ranking metrics (top-1, recall@3, MRR) need no thresholds. Decision metrics use thresholds
calibrated by k-fold cross-validation over the same queries, so no query is judged by
thresholds fitted on itself; thresholds fitted on all queries are reported beside them.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.embed.base import Embedder
from bot.engine.builder import build_version, load_version
from bot.engine.calibrate import ScoredQuery, calibrate, decide
from bot.engine.queries import LabelledQuery, check_ids
from bot.engine.types import Decision, Thresholds
from bot.index.versions import IndexStore
from bot.kb.model import KnowledgeBase
from bot.text.tokenize import HotlineTokenizer

FOLDS = 5
SEED = 12345


def _folds(queries: list[LabelledQuery]) -> list[int]:
    """A fold number per query, stratified by kind."""
    rng = random.Random(SEED)
    fold = [0] * len(queries)
    by_kind: dict[str, list[int]] = {}
    for i, q in enumerate(queries):
        by_kind.setdefault(q.kind, []).append(i)
    for indices in by_kind.values():
        rng.shuffle(indices)
        for n, i in enumerate(indices):
            fold[i] = n % FOLDS
    return fold


def _decision_metrics(
    items: list[tuple[LabelledQuery, ScoredQuery, Decision]],
) -> dict[str, float]:
    para = [(q, s, d) for q, s, d in items if q.kind == "paraphrase"]
    oos = [(q, s, d) for q, s, d in items if q.kind == "out_of_scope"]
    answered = [(q, s) for q, s, d in para if d is Decision.ANSWER]
    right = sum(1 for q, s in answered if s.ranked_ids[:1] == (q.expected_faq_id,))
    clarified = [(q, s) for q, s, d in para if d is Decision.CLARIFY]
    oos_answered = sum(1 for _, _, d in oos if d is Decision.ANSWER)
    return {
        "answer_coverage": len(answered) / len(para) if para else 0.0,
        "answer_precision": right / len(answered) if answered else 0.0,
        "answer_precision_with_oos": right / (len(answered) + oos_answered)
        if answered or oos_answered
        else 0.0,
        "clarify_rate": len(clarified) / len(para) if para else 0.0,
        "clarify_contains_answer": sum(1 for q, s in clarified if s.in_top3) / len(clarified)
        if clarified
        else 0.0,
        "handover_rate": sum(1 for _, _, d in para if d is Decision.HANDOVER) / len(para)
        if para
        else 0.0,
        "oos_rejection": 1 - oos_answered / len(oos) if oos else 0.0,
    }


def score_metrics(
    queries: list[LabelledQuery], scored: list[ScoredQuery], target_precision: float = 0.95
) -> dict[str, Any]:
    """Ranking metrics and cross-validated decision metrics of any ranker's scored queries
    (one ScoredQuery per query, same order); bench/bench_faq.py scores its baselines here."""
    para = [s for q, s in zip(queries, scored, strict=True) if q.kind == "paraphrase"]
    ranks = [s.ranked_ids.index(s.expected_faq_id) + 1 if s.expected_faq_id in s.ranked_ids
             else 0 for s in para]
    calib_idx = [i for i, q in enumerate(queries) if q.kind in ("paraphrase", "out_of_scope")]
    folds = _folds(queries)
    cv_items = []
    for k in range(FOLDS):
        train = [scored[i] for i in calib_idx if folds[i] != k]
        th = calibrate(train, target_precision)
        for i in calib_idx:
            if folds[i] == k:
                s = scored[i]
                cv_items.append((queries[i], s, decide(s.top_score, s.second_score, th)))
    full_th = calibrate([scored[i] for i in calib_idx], target_precision, source="all queries")
    in_sample = [
        (queries[i], scored[i], decide(scored[i].top_score, scored[i].second_score, full_th))
        for i in calib_idx
    ]
    return {
        "queries": len(queries),
        "paraphrase_queries": len(para),
        "oos_queries": sum(1 for q in queries if q.kind == "out_of_scope"),
        "top1": sum(1 for r in ranks if r == 1) / len(para) if para else 0.0,
        "recall_at_3": sum(1 for r in ranks if 1 <= r <= 3) / len(para) if para else 0.0,
        "mrr": float(np.mean([1 / r if r else 0.0 for r in ranks])) if para else 0.0,
        **_decision_metrics(cv_items),
        "calibration": f"{FOLDS}-fold cross-validated, target precision {target_precision}",
        "thresholds_all_queries": full_th.to_dict(),
        "in_sample": {k: round(v, 4) for k, v in _decision_metrics(in_sample).items()},
    }


def evaluate(
    kb: KnowledgeBase,
    queries: list[LabelledQuery],
    embedder: Embedder,
    *,
    tokenizer: HotlineTokenizer | None = None,
    target_precision: float = 0.95,
    answer_weight: float = 0.4,
    lexical_weight: float = 0.0,
    exact_max: int = 20000,
) -> dict[str, Any]:
    check_ids(queries, {e.faq_id for e in kb})
    with tempfile.TemporaryDirectory(prefix="bot-eval-") as tmp:
        store = IndexStore(Path(tmp))
        t0 = time.perf_counter()
        path = build_version(
            kb, embedder, store, tokenizer=tokenizer, exact_max=exact_max,
            answer_weight=answer_weight, lexical_weight=lexical_weight,
            thresholds=Thresholds(1.01, 0.0, 1.01),
        )
        build_s = time.perf_counter() - t0
        matcher = load_version(path, embedder, tokenizer)
        latencies: list[float] = []
        scored: list[ScoredQuery] = []
        for q in queries:
            started = time.perf_counter()
            s = matcher.score_query(q.query)
            latencies.append((time.perf_counter() - started) * 1000)
            scored.append(
                ScoredQuery(q.expected_faq_id or None, s.ranked_ids, s.top_score, s.second_score)
            )

    result: dict[str, Any] = {"entries": len(kb)}
    result.update(score_metrics(queries, scored, target_precision))
    lat = np.array(latencies) if latencies else np.zeros(1)
    result["latency_ms_p50"] = float(np.percentile(lat, 50))
    result["latency_ms_p95"] = float(np.percentile(lat, 95))
    result["index_build_s"] = round(build_s, 3)
    result["embedder"] = embedder.name
    result["answer_weight"] = answer_weight
    result["lexical_weight"] = lexical_weight
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}
