"""Unanswered questions: what citizens asked in turns the bot handed over, or answered in
sessions that ended transferred, abandoned or in a work order when the citizen did not say
that answer helped (bot.store.feedback: each question is judged by its own turn, so "有帮助"
then "转人工" leaves the confirmed question out), grouped so an editor sees each need once.

Grouping uses the mining issue's clustering (bot/mining/cluster.py, the leader method at its
tuned threshold) over the most recent MAX_ROWS turns; without it (FAISS missing, or asked
for) texts are grouped by the entry the engine finds nearest. Vectors are kept in memory by
text, so reopening the page embeds only texts that are new since.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from bot.console import matching
from bot.console.db import ConsoleDb
from bot.engine.matcher import embedding_text
from bot.kb import rules
from bot.store import feedback
from bot.store.schema import sessions, turns
from bot.text.normalize import normalize

log = logging.getLogger(__name__)

MAX_ROWS = 5000  # most recent matching turns read
MAX_TEXTS = 2000  # distinct texts embedded and grouped
EXAMPLES = 5
# Dialog turns, not questions for the knowledge base.
_DIALOG_INTENTS = feedback.DIALOG_INTENTS
_UNRESOLVED = ("transferred", "abandoned", "work_order")


@dataclass
class _Text:
    text: str
    count: int = 0
    last_seen: datetime | None = None


@dataclass
class _Group:
    texts: list[_Text] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(t.count for t in self.texts)


def _unanswered_rows(
    conn: Connection, since: datetime | None, until: datetime | None
) -> Sequence[Any]:
    handed_over = turns.c.decision == "handover"
    unresolved = and_(
        turns.c.decision.in_(("answer", "clarify")),
        sessions.c.outcome.in_(_UNRESOLVED),
        ~feedback.confirmed_turn(turns),
    )
    where: list[Any] = [
        or_(handed_over, unresolved),
        or_(turns.c.intent.is_(None), turns.c.intent.not_in(_DIALOG_INTENTS)),
    ]
    if since is not None:
        where.append(turns.c.at >= since)
    if until is not None:
        where.append(turns.c.at < until)
    return conn.execute(
        select(turns.c.text, turns.c.at)
        .join(sessions, sessions.c.session_id == turns.c.session_id)
        .where(*where).order_by(turns.c.at.desc()).limit(MAX_ROWS)
    ).all()


class Unanswered:
    def __init__(self, db: ConsoleDb, engine: Any, cache_size: int = 20000) -> None:
        self.db = db
        self.engine = engine
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def groups(self, since: datetime | None, until: datetime | None, limit: int,
               method: str | None = None) -> dict[str, Any]:
        rows = self.db.read(lambda conn: _unanswered_rows(conn, since, until))
        texts = _distinct_texts(rows)[:MAX_TEXTS]
        matcher = matching.serving_matcher(self.engine)
        if not texts:
            return {"groups": [], "method": method or "clusters", "texts": 0}
        used = method or "clusters"
        groups: list[_Group] | None = None
        if used == "clusters":
            groups = self._clusters(texts, matcher)
            if groups is None:
                used = "nearest_entry"
        if groups is None:
            groups = _by_nearest(texts, matcher)
        groups.sort(key=lambda g: (-g.count, g.texts[0].text))
        return {
            "groups": [_group_json(g, matcher) for g in groups[:limit]],
            "method": used,
            "texts": len(texts),
        }

    def _clusters(self, texts: list[_Text], matcher: Any) -> list[_Group] | None:
        try:
            from bot.mining.cluster import cluster
            from bot.mining.defaults import DEFAULT_THRESHOLD
        except ImportError as err:  # FAISS is optional for the console
            log.warning("unanswered: clustering unavailable (%s); grouping by nearest entry", err)
            return None
        vectors = self._embed([t.text for t in texts], matcher.embedder)
        result = cluster(vectors, DEFAULT_THRESHOLD)
        groups = [_Group() for _ in range(result.n_groups)]
        for item, label in zip(texts, result.labels.tolist(), strict=True):
            groups[label].texts.append(item)
        return [g for g in groups if g.texts]

    def _embed(self, texts: list[str], embedder: Any) -> np.ndarray:
        keys = [(embedder.name, embedding_text(t)) for t in texts]
        with self._lock:
            found = {k: self._vectors[k] for k in keys if k in self._vectors}
        missing = sorted(set(keys) - found.keys())
        if missing:
            fresh = embedder.embed_queries([k[1] for k in missing])
            found.update(zip(missing, fresh, strict=True))
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))
                while len(self._vectors) > self._cache_size:
                    self._vectors.popitem(last=False)
        return np.stack([found[k] for k in keys]).astype(np.float32)


def _distinct_texts(rows: Sequence[Any]) -> list[_Text]:
    """One item per question (ignoring spacing and punctuation), most frequent first."""
    found: dict[str, _Text] = {}
    for row in rows:
        text = row.text.strip()
        if len(normalize(text)) < 2:  # "1", "嗯": a choice or a noise, not a question
            continue
        key = rules.question_key(text) or text
        item = found.setdefault(key, _Text(text))
        item.count += 1
        if item.last_seen is None or row.at > item.last_seen:
            item.last_seen = row.at
    return sorted(found.values(), key=lambda t: (-t.count, t.text))


def _by_nearest(texts: list[_Text], matcher: Any) -> list[_Group]:
    by_entry: dict[str, _Group] = {}
    for item in texts:
        ranked = matching.rank(matcher, item.text, None)
        key = ranked[0].faq_id if ranked else ""
        by_entry.setdefault(key, _Group()).texts.append(item)
    return list(by_entry.values())


def _group_json(group: _Group, matcher: Any) -> dict[str, Any]:
    group.texts.sort(key=lambda t: (-t.count, t.text))
    label = group.texts[0].text
    ranked = matching.rank(matcher, label, None)
    nearest = ranked[0] if ranked else None
    return {
        "label": label,
        "count": group.count,
        "nearest_faq_id": nearest.faq_id if nearest else None,
        "nearest_question": nearest.question if nearest else None,
        "nearest_score": nearest.score if nearest else None,
        "examples": [
            {"text": t.text, "count": t.count,
             "last_seen": t.last_seen.isoformat() if t.last_seen else None}
            for t in group.texts[:EXAMPLES]
        ],
    }
