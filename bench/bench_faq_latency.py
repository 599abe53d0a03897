"""FAQ lookup latency (FaqMatcher.ask, one thread) at 166, 5,000 and 100,000 entries.

Also flat vs HNSW FAISS search at 5k-400k rows, to justify settings.exact_search_max_vectors.

Each scale runs in its own subprocess, so peak memory (getrusage maxrss) does not mix.
  kb166   the bundled knowledge base, real e5 vectors, its calibration queries
  ncp5k   ../shared/data/ncp_policies_qa train set as a KB (duplicate questions dropped),
          real e5 vectors, its test-set questions as queries
  syn100k 100,000 template entries; a few thousand embedded with e5, the rest of the vectors
          SYNTHETIC (bench/faq_synthetic.py); query embedding timed with the real model and
          added to the search+rank time of ask()
  search  flat vs HNSW search-only on synthetic vectors, recall@10 of HNSW against flat
Times are wall clock and, beside them, the process's CPU time: on two cores shared with other
busy processes the wall time is mostly waiting for a core (the load average is recorded).

    .venv/bin/python bench/bench_faq_latency.py [--quick] [--out results/bench_faq_latency.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy/faiss/torch start their thread pools
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from bot.settings import PROJECT_ROOT, Settings  # noqa: E402

SHARED = PROJECT_ROOT.parent / "shared" / "data"
NCP_TRAIN = SHARED / "ncp_policies_qa" / "NCPPolicies_train_20200301.csv"
NCP_TEST = SHARED / "ncp_policies_qa" / "NCPPolicies_test.csv"
GRID = (5_000, 20_000, 50_000, 100_000, 400_000)
EF_SEARCH = (64, 128, 256)  # the engine asks for 64 rows, and faiss uses max(efSearch, k)
WARM_UP = ("你好", "请问怎么办理", "谢谢", "我要投诉", "社保")


def loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pct(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {"p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2), "n": len(values)}


# --- workers (one per subprocess) --------------------------------------------------------------

def _embedder(settings: Settings) -> tuple[Any, float]:
    from bot.embed.e5 import E5Embedder

    emb = E5Embedder(settings.e5_model_dir, threads=1)
    t0 = time.perf_counter()
    emb.load()
    return emb, time.perf_counter() - t0


def _matcher(kb_entries: tuple, row_entry: np.ndarray, texts: list[str], q_vecs: np.ndarray,
             a_vecs: np.ndarray, embedder: Any, exact_max: int, settings: Settings) -> Any:
    from bot.engine.matcher import FaqMatcher
    from bot.engine.types import Thresholds
    from bot.index.vectors import VectorIndex

    t0 = time.perf_counter()
    questions = VectorIndex.build(q_vecs, exact_max)
    answers = VectorIndex.build(a_vecs, exact_max)
    build_s = time.perf_counter() - t0
    matcher = FaqMatcher(kb_entries, row_entry, texts, questions, answers, embedder,
                         Thresholds(0.9, 0.01, 0.85), "bench", settings.answer_weight)
    return matcher, build_s


class Clock:
    """Wall and CPU time of one call, in ms. With two cores shared by several busy processes,
    wall time mostly measures the wait for a core; this process's CPU time (one thread) is
    what the same call would take on an idle core."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Clock:
        self._t, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append((time.perf_counter() - self._t) * 1000)
        self.cpu.append((time.process_time() - self._c) * 1000)


def _measure(matcher: Any, embedder: Any, queries: list[str], real_embed: bool) -> dict:
    """Per query, interleaved so load drift hits all three alike: the query embedding alone,
    ask() with a cold query cache (embedding + search + rank), ask() again (search + rank)."""
    from bot.engine.matcher import embedding_text

    for text in WARM_UP:
        matcher.ask(text)
    embed, ask, rank = Clock(), Clock(), Clock()
    for q in queries:
        with embed:
            embedder.embed_queries([embedding_text(q)])
        with ask:
            matcher.ask(q)
        with rank:
            matcher.ask(q)
    out = {"query_embed_ms": pct(embed.wall), "search_rank_ms": pct(rank.wall),
           "cpu_ms": {"query_embed": pct(embed.cpu), "search_rank": pct(rank.cpu)}}
    if real_embed:
        out["ask_ms"] = pct(ask.wall)
        out["cpu_ms"]["ask"] = pct(ask.cpu)
    else:  # the matcher's embedder only looks vectors up: add this query's real e5 time
        out["ask_total_ms"] = pct([e + a for e, a in zip(embed.wall, ask.wall, strict=True)])
        out["cpu_ms"]["ask"] = pct([e + a for e, a in zip(embed.cpu, ask.cpu, strict=True)])
    return out


def _ncp_kb(limit: int | None) -> tuple[Any, list[str], dict]:
    import csv

    from bot.kb.model import FaqEntry, KnowledgeBase

    entries, seen = [], set()
    with NCP_TRAIN.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for row in rows:
        q, a = row["question"].strip(), row["answer"].strip()
        if not q or not a or q in seen:
            continue
        seen.add(q)
        entries.append(FaqEntry(f"NCP{len(entries):05d}", "疫情政策", q, (), a))
    entries = entries[:limit] if limit else entries
    with NCP_TEST.open(encoding="utf-8-sig", newline="") as fh:
        tests = list(dict.fromkeys(r["question"].strip() for r in csv.DictReader(fh, delimiter="\t")
                                   if r["question"].strip() and r["question"].strip() not in seen))
    info = {"rows_read": len(rows), "duplicate_questions_dropped": len(rows) - len(seen)}
    return KnowledgeBase.of(entries), tests, info


def worker_kb(args: argparse.Namespace) -> dict:
    from bot.engine.builder import _embed_all, _rows  # the exact rows/vectors build_version makes
    from bot.engine.queries import load_queries
    from bot.kb.loader import load_kb

    settings = Settings.load()
    rss0 = rss_mb()
    emb, load_s = _embedder(settings)
    rss_model = rss_mb()
    info: dict[str, Any] = {}
    if args.worker == "kb166":
        kb = load_kb(settings.kb_dir)
        labelled = load_queries(settings.kb_dir / "calibration")
        queries = list(dict.fromkeys(q.query for q in labelled))
        source = "bundled knowledge_base/, queries: knowledge_base/calibration/*.csv (distinct)"
    else:
        kb, queries, info = _ncp_kb(args.rows)
        source = f"{NCP_TRAIN.name} as KB, queries: {NCP_TEST.name} questions (distinct)"
    queries = queries[: args.queries]
    row_entry, texts = _rows(kb)
    load_before = loadavg()
    t0 = time.perf_counter()
    cache: dict = {}
    q_vecs, _ = _embed_all(emb, texts, cache)
    a_vecs, _ = _embed_all(emb, [e.answer for e in kb], cache)
    embed_s = time.perf_counter() - t0
    matcher, faiss_s = _matcher(kb.entries, row_entry, texts, q_vecs, a_vecs, emb,
                                settings.exact_search_max_vectors, settings)
    load_measure = loadavg()
    result = _measure(matcher, emb, queries, real_embed=True)
    return {
        "scale": args.worker, "source": source, "entries": len(kb), "rows": len(texts),
        "index_kind": matcher.questions.kind, "vectors": "real e5", **info,
        "texts_embedded": len(cache), "embed_s": round(embed_s, 1),
        "embed_texts_per_s": round(len(cache) / embed_s, 1), "faiss_build_s": round(faiss_s, 3),
        "model_load_s": round(load_s, 1), **result,
        "rss_start_mb": round(rss0), "rss_after_model_mb": round(rss_model),
        "maxrss_mb": round(maxrss_mb()),
        "load_avg": {"embedding": load_before, "measuring": load_measure, "end": loadavg()},
    }


class LookupEmbedder:
    """Serves query vectors embedded beforehand with the real model (timed there)."""

    def __init__(self, name: str, vectors: dict[str, np.ndarray]) -> None:
        self.name, self.dim, self._vectors = name, 384, vectors

    def load(self) -> None:
        pass

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])

    embed_passages = embed_queries


def worker_syn(args: argparse.Namespace) -> dict:
    import faq_synthetic as syn

    from bot.engine.builder import _embed_all
    from bot.engine.matcher import embedding_text
    from bot.kb.model import KnowledgeBase

    settings = Settings.load()
    rss0 = rss_mb()
    emb, load_s = _embedder(settings)
    rss_model = rss_mb()
    n, n_real = args.rows, min(args.real, args.rows)
    slot_list = syn.slots(n)
    kb = KnowledgeBase.of(syn.entry(i, s) for i, s in enumerate(slot_list))
    real = np.random.default_rng(1).choice(n, size=n_real, replace=False)
    load_embed = loadavg()
    t0 = time.perf_counter()
    q_real, _ = _embed_all(emb, [kb.entries[i].question for i in real], {})
    a_real, _ = _embed_all(emb, [kb.entries[i].answer for i in real], {})
    embed_s = time.perf_counter() - t0
    first, second = syn.related_pairs(slot_list, real, seed=2)
    q_vecs = syn.mixtures(q_real, n, 3, first, second)
    a_vecs = syn.mixtures(a_real, n, 4, first, second)
    q_vecs[real], a_vecs[real] = q_real, a_real
    texts = [e.question for e in kb]
    query_texts = syn.queries(slot_list, args.queries)
    t0 = time.perf_counter()
    lookup = {embedding_text(q): emb.embed_queries([embedding_text(q)])[0] for q in query_texts}
    query_embed_s = time.perf_counter() - t0
    lookup.update({embedding_text(q): emb.embed_queries([embedding_text(q)])[0] for q in WARM_UP})
    fake = LookupEmbedder(emb.name, lookup)
    row_entry = np.arange(n, dtype=np.int64)
    rss_vectors = rss_mb()
    matcher, faiss_s = _matcher(kb.entries, row_entry, texts, q_vecs, a_vecs, fake,
                                settings.exact_search_max_vectors, settings)
    load_measure = loadavg()
    measured = _measure(matcher, emb, query_texts, real_embed=False)
    flat, flat_build_s = _matcher(kb.entries, row_entry, texts, q_vecs, a_vecs, fake, 10**9,
                                  settings)
    flat_rank = _measure(flat, fake, query_texts, real_embed=False)["search_rank_ms"]
    measured["ask_total_ms"]["how"] = "per query: real e5 query embedding + ask() on lookups"
    # Sanity: do real query vectors meet the synthetic rows as they meet real ones?
    qmat = np.stack([lookup[embedding_text(q)] for q in query_texts])
    top_real = float((qmat @ q_real.T).max(axis=1).mean())
    top_all = float((qmat @ q_vecs.T).max(axis=1).mean())
    np.savez(args.base, passages=q_real, queries=qmat)
    texts_total = 2 * n
    rate = 2 * n_real / embed_s
    return {
        "scale": "syn100k" if n == 100_000 else f"syn{n}", "entries": n, "rows": n,
        "index_kind": matcher.questions.kind,
        "vectors": f"SYNTHETIC: {n_real} entries (question + answer) embedded with e5, the other "
                   f"{n - n_real} are noisy mixtures of them (bench/faq_synthetic.py)",
        "texts_embedded": 2 * n_real, "embed_s": round(embed_s, 1),
        "embed_texts_per_s": round(rate, 1),
        "embed_all_estimate_s": round(texts_total / rate),
        "faiss_build_s": round(faiss_s, 2), "flat_faiss_build_s": round(flat_build_s, 2),
        "model_load_s": round(load_s, 1), "query_texts": len(query_texts),
        "query_embed_batch_s": round(query_embed_s, 1), **measured,
        "flat_search_rank_ms": flat_rank,
        "mean_top1_cosine_of_queries": {"real_rows_only": round(top_real, 4),
                                        "all_rows": round(top_all, 4)},
        "rss_start_mb": round(rss0), "rss_after_model_mb": round(rss_model),
        "rss_with_vectors_mb": round(rss_vectors), "maxrss_mb": round(maxrss_mb()),
        "load_avg": {"embedding": load_embed, "measuring": load_measure, "end": loadavg()},
    }


def worker_search(args: argparse.Namespace) -> dict:
    import faq_synthetic as syn

    from bot.index.vectors import HNSW_EF_SEARCH, VectorIndex

    base = np.load(args.base)
    vecs = syn.mixtures(base["passages"], args.rows, seed=args.rows)
    queries = base["queries"]
    rss_vectors = rss_mb()
    t0 = time.perf_counter()
    index = VectorIndex.build(vecs, args.rows if args.kind == "flat" else 0)
    build_s = time.perf_counter() - t0
    rss_index = rss_mb()
    del vecs
    k = 64  # what FaqMatcher asks for (ROW_NEIGHBOURS)
    out: dict[str, Any] = {"rows": args.rows, "kind": index.kind, "build_s": round(build_s, 2)}
    settings_ef = [HNSW_EF_SEARCH] if args.kind == "flat" else list(EF_SEARCH)
    load_measure = loadavg()
    for ef in settings_ef:
        if args.kind == "hnsw":
            index.index.hnsw.efSearch = ef
        for q in queries[:10]:
            index.search(q, k)
        clock, top10 = Clock(), []
        for q in queries:
            with clock:
                _, ids = index.search(q, k)
            top10.append(ids[:10])
        key = "flat" if args.kind == "flat" else f"ef{ef}"
        out[key] = {"search_ms": pct(clock.wall), "search_cpu_ms": pct(clock.cpu)}
        if args.kind == "flat":
            np.save(args.truth, np.stack(top10))
        else:
            truth = np.load(args.truth)
            hits = [len(set(a.tolist()) & set(b.tolist())) for a, b in zip(top10, truth,
                                                                           strict=True)]
            out[key]["recall_at_10"] = round(float(np.mean(hits)) / 10, 4)
    out.update({"queries": len(queries), "k": k, "rss_with_vectors_mb": round(rss_vectors),
                "rss_with_index_mb": round(rss_index),
                "index_mb": round(rss_index - rss_vectors), "maxrss_mb": round(maxrss_mb()),
                "load_avg": {"measuring": load_measure, "end": loadavg()}})
    return out


# --- parent ------------------------------------------------------------------------------------

def spawn(args: list[str], log: Path, timeout_s: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result = Path(fh.name)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    before, t0 = loadavg(), time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, __file__, *args, "--result", str(result)],
                              stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout_s,
                              check=False)
    if done.returncode != 0 or result.stat().st_size == 0:
        result.unlink(missing_ok=True)
        return {"error": f"worker {' '.join(args)} failed (exit {done.returncode}); see {log}"}
    data = json.loads(result.read_text(encoding="utf-8"))
    result.unlink()
    data["worker_wall_s"] = round(time.perf_counter() - t0, 1)
    data["load_avg_parent"] = f"{before} -> {loadavg()}"
    return data


def lookup_table(rows: list[dict]) -> str:
    lines = ["| scale | entries | rows | index | vectors | embed s | FAISS build s | query embed "
             "p50/p95 ms | search+rank p50/p95 ms | ask() p50/p95 ms | ask() CPU p50/p95 ms "
             "| maxrss MB | load avg |",
             "|" + "---|" * 13]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r.get('scale', '?')} | {r['error']} |" + " |" * 11)
            continue
        e, s = r["query_embed_ms"], r["search_rank_ms"]
        if "ask_ms" in r:
            ask = f"{r['ask_ms']['p50']} / {r['ask_ms']['p95']}"
        else:  # synthetic rows: real query embedding + measured search and rank, per query
            ask = f"{r['ask_total_ms']['p50']} / {r['ask_total_ms']['p95']} (e5 + ask)"
        vectors = "real" if r["vectors"] == "real e5" else "synthetic*"
        cpu = f"{r['cpu_ms']['ask']['p50']} / {r['cpu_ms']['ask']['p95']}"
        lines.append(
            f"| {r['scale']} | {r['entries']} | {r['rows']} | {r['index_kind']} | {vectors} "
            f"| {r['embed_s']} ({r['texts_embedded']} texts) | {r['faiss_build_s']} "
            f"| {e['p50']} / {e['p95']} | {s['p50']} / {s['p95']} | {ask} | {cpu} "
            f"| {r['maxrss_mb']} | {r['load_avg']['measuring']} |")
    return "\n".join(lines)


def grid_table(grid: list[dict]) -> str:
    lines = ["| rows | flat build s | flat search p50/p95 ms (CPU) | HNSW build s | HNSW ef64 "
             "p50/p95 ms (R@10) | HNSW ef128 p50/p95 ms (R@10) | HNSW ef256 p50/p95 ms (R@10) "
             "| HNSW ef128 CPU p50/p95 | index MB flat / HNSW | maxrss MB flat / HNSW "
             "| load avg flat / HNSW |", "|" + "---|" * 11]
    for g in grid:
        f, h = g["flat"], g["hnsw"]
        if "error" in f or "error" in h:
            lines.append(f"| {g['rows']} | {f.get('error', '')} {h.get('error', '')} |" + " |" * 9)
            continue
        cells = [f"{h[f'ef{ef}']['search_ms']['p50']} / {h[f'ef{ef}']['search_ms']['p95']} "
                 f"({h[f'ef{ef}']['recall_at_10']})" for ef in EF_SEARCH]
        fw, fc = f["flat"]["search_ms"], f["flat"]["search_cpu_ms"]
        hc = h["ef128"]["search_cpu_ms"]
        lines.append(
            f"| {g['rows']} | {f['build_s']} | {fw['p50']} / {fw['p95']} "
            f"({fc['p50']} / {fc['p95']}) | {h['build_s']} | {' | '.join(cells)} "
            f"| {hc['p50']} / {hc['p95']} "
            f"| {f['index_mb']} / {h['index_mb']} | {f['maxrss_mb']} / {h['maxrss_mb']} "
            f"| {f['load_avg']['measuring']} / {h['load_avg']['measuring']} |")
    return "\n".join(lines)


def parent(args: argparse.Namespace) -> int:
    settings = Settings.load()
    if settings.embedder != "e5":
        print(f"SKIP: BOT_EMBEDDER={settings.embedder}; this benchmark measures the real e5")
        return 0
    if not SHARED.is_dir():
        print(f"SKIP: {SHARED} is absent (the shared data sets are not on this machine)")
        return 0
    quick = args.quick
    n_q = 100 if quick else 400
    log = Path(tempfile.gettempdir()) / "bench_faq_latency.log"
    log.write_text("", encoding="utf-8")
    base = Path(tempfile.gettempdir()) / f"bench_faq_latency_base_{os.getpid()}.npz"
    started = time.perf_counter()
    run: dict[str, Any] = {
        "command": " ".join(["bench/bench_faq_latency.py", *sys.argv[1:]]),
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(), "cpus": os.cpu_count(), "load_avg_at_start": loadavg(),
        "threads": "OMP_NUM_THREADS=1, torch.set_num_threads(1), faiss one query at a time",
        "exact_search_max_vectors": settings.exact_search_max_vectors,
        "answer_weight": settings.answer_weight, "quick": quick, "worker_log": str(log),
    }
    lookups: list[dict] = []
    print(f"load avg {loadavg()}; worker output in {log}", flush=True)
    print("kb166 ...", flush=True)
    lookups.append(spawn(["--worker", "kb166", "--queries", str(n_q)], log, 3600))
    if NCP_TRAIN.is_file() and NCP_TEST.is_file():
        print("ncp5k (embeds every question and answer with e5; ~10 min on 2 busy cores) ...",
              flush=True)
        lookups.append(spawn(["--worker", "ncp5k", "--queries", str(n_q),
                              *(["--rows", "500"] if quick else [])], log, 7200))
    else:
        print(f"skipping ncp5k: {NCP_TRAIN} not found")
    syn_rows = 20_000 if quick else 100_000
    print(f"syn{syn_rows} ...", flush=True)
    syn_result = spawn(["--worker", "syn", "--rows", str(syn_rows), "--real",
                        "500" if quick else "2000", "--queries", str(n_q), "--base", str(base)],
                       log, 7200)
    lookups.append(syn_result)
    grid: list[dict] = []
    if base.is_file():
        truth = base.with_suffix(".truth.npy")
        for rows in (GRID[:3] if quick else GRID):
            print(f"search grid {rows} rows ...", flush=True)
            common = ["--rows", str(rows), "--base", str(base), "--truth", str(truth)]
            flat = spawn(["--worker", "search", "--kind", "flat", *common], log, 3600)
            hnsw = spawn(["--worker", "search", "--kind", "hnsw", *common], log, 7200)
            grid.append({"rows": rows, "flat": flat, "hnsw": hnsw})
        truth.unlink(missing_ok=True)
        base.unlink(missing_ok=True)
    run["wall_s"] = round(time.perf_counter() - started, 1)
    run["load_avg_at_end"] = loadavg()
    out = {"run": run, "lookup": lookups, "search_grid": grid}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    print("\n### FAQ lookup latency (one thread)\n")
    print(lookup_table(lookups))
    print("\n*synthetic: see `vectors` in the JSON; the query embedding is real e5.")
    for r in lookups:
        if "flat_search_rank_ms" in r:
            f = r["flat_search_rank_ms"]
            print(f"{r['scale']} with a flat index instead of {r['index_kind']}: search+rank "
                  f"p50/p95 {f['p50']} / {f['p95']} ms (FAISS build {r['flat_faiss_build_s']} s)")
    print()
    print("### Flat vs HNSW, search only (k=64 as the engine asks; synthetic vectors, real "
          "e5 query vectors)\n")
    print(grid_table(grid))
    print(f"\nwrote {args.out} in {run['wall_s']} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="short run: 100 queries, 500 NCP entries, 20k synthetic, grid to 50k")
    parser.add_argument("--out", type=Path,
                        default=PROJECT_ROOT / "results" / "bench_faq_latency.json")
    # Internal: one measurement per subprocess.
    parser.add_argument("--worker", choices=("kb166", "ncp5k", "syn", "search"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--real", type=int, default=2000, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=int, default=400, help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=("flat", "hnsw"), help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--truth", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is None:
        return parent(args)
    work = {"kb166": worker_kb, "ncp5k": worker_kb, "syn": worker_syn, "search": worker_search}
    data = work[args.worker](args)
    args.result.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
