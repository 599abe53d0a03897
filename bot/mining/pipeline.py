"""One mining run: rows -> embeddings -> clusters (kept in the incremental model) ->
descriptions, coverage and trends -> ranked report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.embed.base import Embedder
from bot.engine.matcher import embedding_text
from bot.errors import BotError, InputError
from bot.mining import coverage as cov
from bot.mining.defaults import DEFAULT_METHOD, DEFAULT_MIN_SIZE, DEFAULT_THRESHOLD, RECENT_DAYS
from bot.mining.describe import KeywordScorer, describe
from bot.mining.incremental import ClusterModel, UpdateStats
from bot.mining.latest import save_latest
from bot.mining.lock import model_lock
from bot.mining.rank import demand, priority
from bot.mining.result import MinedCluster, MiningReport
from bot.mining.rows import MinedRow, SourceSummary
from bot.mining.trend import Window, trend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MineOptions:
    min_size: int = DEFAULT_MIN_SIZE
    threshold: float = DEFAULT_THRESHOLD
    method: str = DEFAULT_METHOD
    recent_days: int = RECENT_DAYS
    rebuild: bool = False  # recluster everything instead of placing only the new rows


def _dedupe(rows: Sequence[MinedRow]) -> list[MinedRow]:
    """The same file given twice adds its rows once."""
    seen: dict[str, MinedRow] = {}
    for row in rows:
        seen.setdefault(row.key, row)
    return list(seen.values())


def _check(rows: Sequence[MinedRow], options: MineOptions) -> None:
    if options.min_size < 2:
        raise InputError(f"--min-size {options.min_size} 至少为 2：一条问题算不上高频问题")
    if not rows:
        raise InputError("没有可以分析的问题：文件里的文本列都是空的，或 --since 之后没有记录")
    if len(rows) < options.min_size:
        raise InputError(
            f"只有 {len(rows)} 条问题，少于 --min-size {options.min_size}，聚不出高频问题；"
            "多给些数据，或把 --min-size 调小"
        )


class _Embed:
    """Embeds rows the way the FAQ engine embeds a query (so coverage reuses the vectors)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.seconds = 0.0

    def __call__(self, rows: Sequence[MinedRow]) -> np.ndarray:
        started = time.perf_counter()
        if not rows:
            return np.zeros((0, self.embedder.dim), np.float32)
        vectors = self.embedder.embed_queries([embedding_text(r.text) for r in rows])
        self.seconds += time.perf_counter() - started
        return vectors


def _update_model(rows: list[MinedRow], embed: _Embed, model_dir: Path | None,
                  options: MineOptions, name: str) -> tuple[ClusterModel, dict[str, Any]]:
    model = None if options.rebuild or model_dir is None else ClusterModel.load(model_dir)
    reason = "--rebuild" if options.rebuild else "no saved model"
    if model is not None:
        why = model.incompatibility(name, options.threshold, options.method)
        changed = [r.key for r in rows if r.key in model.rows and model.rows[r.key].text != r.text]
        if changed:
            why = f"{len(changed)} rows changed text since the last run (e.g. {changed[0]})"
        if why:
            log.info("rebuilding the mining model: %s", why)
            model, reason = None, why
    if model is None:
        model = ClusterModel.build(rows, embed(rows), embedder=name,
                                   threshold=options.threshold, method=options.method)
        stats = UpdateStats(new_rows=len(rows))
        info: dict[str, Any] = {"rebuilt": True, "reason": reason}
    else:
        new = [r for r in rows if r.key not in model.rows]
        stats = model.add(new, embed(new), embed)
        info = {"rebuilt": False}
    if model_dir is not None:
        model.save(model_dir)
        info["path"] = str(model_dir)
    info["created_at"] = model.created_at  # a rebuild makes a new model: cluster ids restart
    info.update(stats.__dict__)
    return model, info


def mine(
    rows: Sequence[MinedRow],
    embedder: Embedder,
    *,
    service: Any | None = None,
    tokens: Callable[[str], list[str]] | None = None,
    model_dir: Path | None = None,
    summaries: Sequence[SourceSummary] = (),
    options: MineOptions | None = None,
) -> MiningReport:
    """Mine `rows` (with every row already in the model at `model_dir`, if any).

    `service`: a FaqService for coverage (None: coverage "unknown"); `tokens`: the hotline
    tokenizer's `tokens`, for keywords (None: no keywords). With `model_dir`, the run holds
    the folder's lock (bot/mining/lock.py) from loading the model to saving the report
    (<model_dir>/latest.json), so a scheduled and a console run never interleave.
    """
    options = options or MineOptions()
    rows = _dedupe(rows)
    _check(rows, options)
    if model_dir is None:
        return _mine(rows, embedder, service, tokens, None, summaries, options)
    with model_lock(model_dir):
        report = _mine(rows, embedder, service, tokens, model_dir, summaries, options)
        save_latest(report.to_json(), model_dir)
    return report


def _mine(rows: list[MinedRow], embedder: Embedder, service: Any | None,
          tokens: Callable[[str], list[str]] | None, model_dir: Path | None,
          summaries: Sequence[SourceSummary], options: MineOptions) -> MiningReport:
    started = time.perf_counter()
    embed = _Embed(embedder)
    model, model_info = _update_model(rows, embed, model_dir, options, embedder.name)
    clustered = time.perf_counter()
    embed_clustering = embed.seconds

    every = list(model.rows.values())
    position = {r.key: i for i, r in enumerate(every)}
    vectors = embed(every)
    keywords = KeywordScorer([r.text for r in every], tokens or (lambda _: []))
    window = Window.of([r.time for r in every], options.recent_days)
    thresholds = _thresholds(service)
    centroids = model.centroids()
    clusters = []
    for g, group in enumerate(model.clusters):
        if len(group.members) < options.min_size:
            continue
        idx = [position[k] for k in group.members]
        members = [every[i] for i in idx]
        desc = describe([m.text for m in members], vectors[idx], centroids[g], idx, keywords,
                        [m.category for m in members])
        sims = vectors[idx] @ centroids[g]
        order = [desc.medoid] + [int(i) for i in np.argsort(-sims, kind="stable")
                                 if i != desc.medoid]
        found = _coverage(service, members[desc.medoid].text, thresholds)
        change = trend([m.time for m in members], window)
        need = demand([m.votes for m in members])
        clusters.append(MinedCluster(
            id=group.id, rank=0, size=len(members), representative=desc.representative,
            examples=desc.examples, keywords=desc.keywords,
            members=tuple(members[i] for i in order), coverage=found.status,
            nearest_faq_id=found.faq_id, nearest_question=found.question,
            nearest_score=None if found.score is None else round(found.score, 4),
            recent=change.recent, earlier=change.earlier, growth=change.growth,
            rising=change.rising, categories=desc.categories,
            votes=sum(m.votes for m in members), demand=need,
            priority=priority(need, change.rising), cohesion=float(sims.mean()),
        ))
    clusters.sort(key=lambda c: (-c.priority, -c.size, c.id))
    ranked = tuple(_with_rank(c, i) for i, c in enumerate(clusters, 1))
    finished = time.perf_counter()
    meta = {
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "sources": [s.to_json() for s in summaries],
        "rows": len(every),
        "rows_this_run": len(rows),
        "clusters_total": len(model.clusters),
        "clusters_reported": len(ranked),
        "rows_in_reported": sum(c.size for c in ranked),
        "pool": len(model.pool),
        "min_size": options.min_size,
        "clustering": {"method": model.method, "threshold": model.threshold,
                       "embedder": model.embedder},
        "coverage_thresholds": None if thresholds is None else thresholds.__dict__,
        "coverage_counts": _count(c.coverage for c in ranked),
        "recent_window": {"days": options.recent_days,
                          "from": window.cutoff.isoformat(sep=" ") if window.cutoff else None},
        "model": model_info,
        "timing_s": {"embed": round(embed.seconds, 2),
                     "cluster": round(clustered - started - embed_clustering, 2),
                     "describe": round(finished - clustered, 2),
                     "total": round(finished - started, 2)},
    }
    return MiningReport(ranked, meta)


def _with_rank(cluster: MinedCluster, rank: int) -> MinedCluster:
    return replace(cluster, rank=rank)


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


def _thresholds(service: Any | None) -> cov.CoverageThresholds | None:
    if service is None:
        return None
    try:
        return cov.thresholds_of(service)
    except BotError as err:
        log.warning("no FAQ index to check coverage against (%s); coverage is unknown", err)
        return None


def _coverage(service: Any | None, text: str,
              thresholds: cov.CoverageThresholds | None) -> cov.Coverage:
    if service is None or thresholds is None:
        return cov.Coverage(cov.UNKNOWN)
    return cov.nearest(service, text, thresholds)
