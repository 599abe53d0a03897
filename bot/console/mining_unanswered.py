"""The unanswered-questions list grouped by the latest mining run's clusters.

When a run has saved a report (bot/mining/latest.py), each unanswered question of the
chosen dates joins the reported cluster its text belongs to (the saved model knows every
member's text; texts are matched by rules.question_key, so a question asked again after the
run joins too). Questions in no reported cluster (new since the run, or in clusters too
small to report) are grouped as before, by on-the-fly clustering. `method` is then
"mining"; without a report, or when asked for another method, the list is Unanswered's.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.console import matching
from bot.console.db import ConsoleDb
from bot.console.unanswered import (
    EXAMPLES,
    MAX_TEXTS,
    Unanswered,
    _by_nearest,
    _distinct_texts,
    _group_json,
    _Text,
    _unanswered_rows,
)
from bot.kb import rules

log = logging.getLogger(__name__)

MINING = "mining"


class ClusterTexts:
    """question key -> reported cluster (its report JSON), rebuilt when a run saves anew."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamp: tuple[int, int] | None = None
        self._map: dict[str, dict[str, Any]] = {}

    def of(self, report: dict[str, Any]) -> dict[str, dict[str, Any]]:
        from bot.mining.incremental import MODEL_FILE, ClusterModel
        from bot.mining.latest import LATEST_FILE

        try:
            stamp = ((self.folder / MODEL_FILE).stat().st_mtime_ns,
                     (self.folder / LATEST_FILE).stat().st_mtime_ns)
        except OSError:
            return {}
        if stamp == self._stamp:
            return self._map
        model = ClusterModel.load(self.folder)
        found: dict[str, dict[str, Any]] = {}
        if model is not None:
            reported = {c["id"]: c for c in report["clusters"]}
            for group in model.clusters:
                cluster = reported.get(group.id)
                if cluster is None:
                    continue
                for key in group.members:
                    row = model.rows.get(key)
                    if row is not None:
                        found.setdefault(rules.question_key(row.text) or row.text, cluster)
        self._stamp, self._map = stamp, found
        return found


def _mined_json(cluster: dict[str, Any], texts: list[_Text],
                accepted: dict[str, Any] | None) -> dict[str, Any]:
    texts.sort(key=lambda t: (-t.count, t.text))
    return {
        "label": cluster["representative"],
        "count": sum(t.count for t in texts),
        "nearest_faq_id": cluster.get("nearest_faq_id"),
        "nearest_question": cluster.get("nearest_question"),
        "nearest_score": cluster.get("nearest_score"),
        "examples": [
            {"text": t.text, "count": t.count,
             "last_seen": t.last_seen.isoformat() if t.last_seen else None}
            for t in texts[:EXAMPLES]
        ],
        "cluster_id": cluster["id"],
        "rank": cluster.get("rank"),
        "size": cluster.get("size"),
        "coverage": cluster.get("coverage"),
        "growth": cluster.get("growth"),
        "rising": cluster.get("rising"),
        "keywords": cluster.get("keywords", []),
        "accepted": accepted,
    }


class MinedUnanswered(Unanswered):
    def __init__(self, db: ConsoleDb, engine: Any, mining: Any, acceptances: Any) -> None:
        super().__init__(db, engine)
        self.mining = mining  # MiningService
        self.acceptances = acceptances  # report -> {cluster id: acceptance}
        self._texts = ClusterTexts(mining.folder)

    def groups(self, since: datetime | None, until: datetime | None, limit: int,
               method: str | None = None) -> dict[str, Any]:
        report = self.mining.latest() if method is None else None
        if report is None:
            return super().groups(since, until, limit, method)
        try:
            by_text = self._texts.of(report)
        except ImportError as err:  # FAISS missing: the saved model cannot be read
            log.warning("unanswered: mining model unavailable (%s)", err)
            return super().groups(since, until, limit, method)
        rows = self.db.read(lambda conn: _unanswered_rows(conn, since, until))
        texts = _distinct_texts(rows)[:MAX_TEXTS]
        run = {"generated_at": report.get("generated_at"), "rows": report.get("rows")}
        if not texts:
            return {"groups": [], "method": MINING, "texts": 0, "run": run}
        matcher = matching.serving_matcher(self.engine)
        mined: dict[str, tuple[dict[str, Any], list[_Text]]] = {}
        rest: list[_Text] = []
        for item in texts:
            cluster = by_text.get(rules.question_key(item.text) or item.text)
            if cluster is None:
                rest.append(item)
            else:
                mined.setdefault(cluster["id"], (cluster, []))[1].append(item)
        accepted = self.acceptances(report) if mined else {}
        groups = [_mined_json(c, found, accepted.get(c["id"])) for c, found in mined.values()]
        if rest:
            others = self._clusters(rest, matcher) or _by_nearest(rest, matcher)
            groups += [{**_group_json(g, matcher), "cluster_id": None}
                       for g in sorted(others, key=lambda g: (-g.count, g.texts[0].text))
                       [:limit]]
        groups.sort(key=lambda g: (-g["count"], g["label"]))
        return {"groups": groups[:limit], "method": MINING, "texts": len(texts), "run": run}
