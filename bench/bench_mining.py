"""Mining quality: clustering on labelled question pairs (LCQMC) and on real citizen messages.

hotline: the standard questions, similar questions and paraphrase queries of a hotline FAQ
base, labelled with their entry, clustered together; pairwise F1 over all pairs. The default
threshold (bot/mining/defaults.py) is the leader method's best on faq_eval_dev; the bundled
knowledge base with its calibration queries checks it.

lcqmc: every text of the LCQMC pairs is clustered together (e5, the mining pipeline's
embedding); a label-1 pair should share a cluster, a label-0 pair should not. The threshold
of each method is chosen on LCQMC dev (best pairwise F1), then reported once on LCQMC test.
Pairwise precision = pairs put together that are label 1; recall = label-1 pairs put
together; negatives apart = label-0 pairs kept apart.

tipdm: the whole pipeline (incremental model off) on the tipdm2020c messages (fj2 + fj3 +
fj4 subjects): the top clusters, purity against fj2's first-level categories, and how the
ranking compares with fj3's vote counts. Run time and memory of `bot mine` itself are
measured from the command line (README).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_mining.py [hotline] [lcqmc] [tipdm] [--pairs N]

Embeddings are cached under build/cache/mining (a cold LCQMC run embeds ~40,000 texts:
about 15 minutes on one core). Results: results/bench_mining.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings

DATA = PROJECT_ROOT.parent / "shared" / "data"
LCQMC = DATA / "question_matching"
TIPDM = DATA / "tipdm2020c_smart_gov"
TIPDM_FILES = ("fj2_sample_labelled.csv", "fj3_messages_votes_full.csv",
               "fj4_messages_official_replies_full.csv")
# e5 cosines bunch high: random LCQMC texts are ~0.85 apart, paraphrases ~0.97.
THRESHOLDS = [round(0.90 + 0.005 * i, 3) for i in range(19)]  # 0.900 .. 0.990
RESULTS = PROJECT_ROOT / "results" / "bench_mining.json"


def embedder() -> Any:
    from bot.embed.factory import make_embedder
    from bot.mining.vectorcache import CachedEmbedder

    settings = Settings.load()
    return CachedEmbedder(make_embedder(settings), settings.build_dir / "cache" / "mining")


def read_pairs(path: Path, limit: int | None) -> tuple[list[str], list[tuple[int, int, int]]]:
    texts: dict[str, int] = {}
    pairs = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[2] not in ("0", "1"):
                continue
            a, b = (texts.setdefault(t, len(texts)) for t in parts[:2])
            pairs.append((a, b, int(parts[2])))
            if limit and len(pairs) == limit:
                break
    return list(texts), pairs


def lcqmc(limit: int | None) -> dict[str, Any]:
    import numpy as np

    from bot.engine.matcher import embedding_text
    from bot.mining.cluster import METHODS, cluster, knn
    from bot.mining.defaults import DEFAULT_THRESHOLD
    from bot.mining.quality import pairwise_quality

    emb = embedder()
    out: dict[str, Any] = {}
    best: dict[str, tuple[float, float]] = {}
    for split in ("dev", "test"):
        texts, pairs = read_pairs(LCQMC / f"LCQMC_{split}.txt", limit)
        started = time.perf_counter()
        x = emb.embed_queries([embedding_text(t) for t in texts])
        embed_s = time.perf_counter() - started
        graph = knn(np.unique(x, axis=0))  # shared by every threshold of the sweep
        rows: dict[str, Any] = {"texts": len(texts), "pairs": len(pairs),
                                "embed_s": round(embed_s, 1)}
        for method in METHODS:
            grid = THRESHOLDS if split == "dev" else sorted({best[method][1],
                                                              DEFAULT_THRESHOLD})
            results = []
            for t in grid:
                c = cluster(x, t, method, graph=graph)
                q = pairwise_quality(c.labels, pairs)
                results.append({"threshold": t, "clusters": c.n_groups,
                                "largest": int(np.bincount(c.labels).max()), **q.to_dict()})
                print(f"{split} {method} {t:.3f}: P {q.precision:.3f} R {q.recall:.3f} "
                      f"apart {q.negatives_apart:.3f} F1 {q.f1:.3f} "
                      f"({c.n_groups} clusters)", flush=True)
            if split == "dev":
                top = max(results, key=lambda r: (r["f1"], -r["threshold"]))
                best[method] = (top["f1"], top["threshold"])
            rows[method] = results
        out[split] = rows
    out["chosen_on_dev"] = {m: {"f1": f, "threshold": t} for m, (f, t) in best.items()}
    # The pair classifier the clustering approximates: same meaning iff cosine >= t.
    out["pair_threshold_dev"] = pair_threshold(emb, limit)
    return out


def pair_threshold(emb: Any, limit: int | None) -> dict[str, float]:
    import numpy as np

    from bot.engine.matcher import embedding_text

    texts, pairs = read_pairs(LCQMC / "LCQMC_dev.txt", limit)
    x = emb.embed_queries([embedding_text(t) for t in texts])
    sims = np.array([float(x[a] @ x[b]) for a, b, _ in pairs])
    gold = np.array([g == 1 for _, _, g in pairs])
    best = {"f1": 0.0, "threshold": 0.0}
    for t in THRESHOLDS:
        tp = float((sims >= t)[gold].sum())
        p, r = tp / max(1, int((sims >= t).sum())), tp / max(1, int(gold.sum()))
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best["f1"]:
            best = {"f1": round(f1, 4), "threshold": t, "precision": round(p, 4),
                    "recall": round(r, 4)}
    return best


def hotline_sets() -> dict[str, tuple[list[str], list[str]]]:
    """(texts, faq ids) of two hotline FAQ bases: every standard and similar question and
    every paraphrase query, labelled with its entry. faq_eval_dev tunes; the bundled
    knowledge base with its calibration queries checks."""
    from bot.engine.queries import load_queries
    from bot.kb.loader import load_kb

    sets = {}
    for name, kb_path, queries_path in (
        ("faq_eval_dev", DATA / "faq_eval_dev" / "kb.csv", DATA / "faq_eval_dev" / "queries.csv"),
        ("bundled", PROJECT_ROOT / "knowledge_base",
         PROJECT_ROOT / "knowledge_base" / "calibration"),
    ):
        texts, labels = [], []
        for entry in load_kb(kb_path):
            texts += entry.all_questions
            labels += [entry.faq_id] * len(entry.all_questions)
        for q in load_queries(queries_path):
            if q.kind == "paraphrase":
                texts.append(q.query)
                labels.append(q.expected_faq_id)
        sets[name] = (texts, labels)
    return sets


def all_pairs(labels: list[str]) -> list[tuple[int, int, int]]:
    n = len(labels)
    return [(a, b, int(labels[a] == labels[b])) for a in range(n) for b in range(a + 1, n)]


def hotline() -> dict[str, Any]:
    """Clustering hotline questions: questions of one entry together, of two apart."""
    from bot.engine.matcher import embedding_text
    from bot.mining.cluster import METHODS, cluster
    from bot.mining.quality import pairwise_quality

    emb = embedder()
    out: dict[str, Any] = {}
    best: dict[str, tuple[float, float]] = {}
    for name, (texts, labels) in hotline_sets().items():
        x = emb.embed_queries([embedding_text(t) for t in texts])
        pairs = all_pairs(labels)
        rows: dict[str, Any] = {"texts": len(texts), "entries": len(set(labels)),
                                "pairs": len(pairs), "positives": sum(g for *_, g in pairs)}
        for method in METHODS:
            results = []
            grid = THRESHOLDS if name == "faq_eval_dev" else sorted(
                {best[m][1] for m in best} | {0.97})
            for t in grid:
                c = cluster(x, t, method)
                q = pairwise_quality(c.labels, pairs)
                results.append({"threshold": t, "clusters": c.n_groups, **q.to_dict()})
                print(f"{name} {method} {t:.3f}: P {q.precision:.3f} R {q.recall:.3f} "
                      f"F1 {q.f1:.3f} ({c.n_groups} clusters)", flush=True)
            if name == "faq_eval_dev":
                top = max(results, key=lambda r: (r["f1"], -r["threshold"]))
                best[method] = (top["f1"], top["threshold"])
            rows[method] = results
        out[name] = rows
    out["chosen_on_faq_eval_dev"] = {m: {"f1": f, "threshold": t} for m, (f, t) in best.items()}
    return out


def read_tipdm() -> list[Any]:
    from bot.mining.sources import read_file_rows

    rows = []
    for name in TIPDM_FILES:
        # 留言时间, 一级分类 (fj2) and 点赞数 (fj3) are found by their names.
        got, summary = read_file_rows(TIPDM / name, column="留言主题")
        rows += got
        print(f"{name}: {summary.rows} rows", flush=True)
    return rows


def tipdm(threshold: float | None, top: int) -> dict[str, Any]:
    from scipy.stats import spearmanr

    from bot.engine.service import FaqService
    from bot.index.versions import IndexStore
    from bot.mining.defaults import DEFAULT_THRESHOLD
    from bot.mining.pipeline import MineOptions, mine
    from bot.mining.quality import purity
    from bot.text.tokenize import HotlineTokenizer

    settings = Settings.load()
    emb = embedder()
    tokenizer = HotlineTokenizer.from_settings(settings)
    service = FaqService(IndexStore(settings.index_dir), emb, tokenizer, settings)
    rows = read_tipdm()
    started = time.perf_counter()
    options = MineOptions(threshold=threshold or DEFAULT_THRESHOLD)
    report = mine(rows, emb, service=service, tokens=tokenizer.tokens, options=options)
    seconds = time.perf_counter() - started
    clusters = report.clusters
    # Purity over every reported cluster with 2+ labelled (fj2) rows.
    labels, cats = [], []
    for c in clusters:
        for m in c.members:
            labels.append(c.rank)
            cats.append(m.category)
    pure = purity(labels, cats)
    ranks = [c.rank for c in clusters]
    votes = [c.votes for c in clusters]
    rho = spearmanr(ranks, votes)
    fj3 = sorted((r for r in rows if r.source.endswith(TIPDM_FILES[1])),
                 key=lambda r: -r.votes)[:20]
    rank_of = {m.key: c.rank for c in clusters for m in c.members}
    top_voted = [{"votes": r.votes, "text": r.text, "cluster_rank": rank_of.get(r.key)}
                 for r in fj3]
    return {
        "rows": len(rows),
        "seconds": round(seconds, 1),
        "meta": report.meta,
        "purity_fj2": pure.to_dict(),
        "spearman_rank_vs_votes": {"rho": round(float(rho.statistic), 4),
                                   "p": float(rho.pvalue), "clusters": len(clusters)},
        "top_voted_messages": top_voted,
        "top": [{k: c.to_json()[k] for k in ("rank", "size", "votes", "representative",
                                               "keywords", "coverage", "nearest_faq_id",
                                               "nearest_score", "rising", "growth",
                                               "categories", "examples")}
                for c in clusters[:top]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", metavar="PART",
                        help="hotline, lcqmc, tipdm (default all)")
    parser.add_argument("--pairs", type=int, help="only the first N pairs of each LCQMC split")
    parser.add_argument("--threshold", type=float, help="tipdm: clustering threshold")
    parser.add_argument("--top", type=int, default=20, help="tipdm: clusters to list")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    known = ["hotline", "lcqmc", "tipdm"]
    parts = args.parts or known
    if set(parts) - set(known):
        parser.error(f"unknown part(s) {sorted(set(parts) - set(known))}: use {', '.join(known)}")
    missing = [p for p in (LCQMC, TIPDM) if not p.is_dir()]
    if missing:
        print(f"skipped: real data {', '.join(map(str, missing))} is absent "
              "(only present in the team workspace)")
        return 0
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if "hotline" in parts:
        results["hotline"] = hotline()
    if "lcqmc" in parts:
        results["lcqmc"] = lcqmc(args.pairs)
    if "tipdm" in parts:
        results["tipdm"] = tipdm(args.threshold, args.top)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
