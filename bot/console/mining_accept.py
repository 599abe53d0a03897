"""Accepting a mined cluster in the console: a new draft entry (the tidied medoid as standard
question, the variants as similar questions, no answer yet), or its variants added to an
existing entry as a new draft revision. Either way an editor then writes or checks the
answer and a reviewer approves it; nothing reaches citizens before that.

An acceptance is an audit row (action `cluster_accepted`, entity
`mining:<model created_at>:<cluster id>`) written in the same transaction as the entry, so a
cluster is accepted once; a rebuilt model numbers its clusters afresh, hence the model's
creation time in the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from bot.console import audit
from bot.console.db import ConsoleDb, loads
from bot.console.entries import EntryStore
from bot.console.errors import conflict, not_found
from bot.console.fields import EntryFields, to_entry
from bot.console.records import StoredEntry, entry_json
from bot.kb import rules
from bot.store.schema import audit_log

ACCEPTED = "cluster_accepted"
UNSORTED = "待分类"  # when neither the cluster nor a nearby entry suggests a category
_PG_ACCEPT_LOCK = 12345_0006  # serialises acceptances on PostgreSQL (read-then-insert)


@dataclass(frozen=True)
class Accepted:
    stored: StoredEntry
    mode: str  # "new" or "merged"
    added: tuple[str, ...]  # the questions the entry gained
    skipped: tuple[dict[str, str], ...]  # variants another entry already has
    notes: tuple[str, ...]

    def to_dict(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {"entry": entry, "mode": self.mode, "added": list(self.added),
                "skipped": list(self.skipped), "notes": list(self.notes)}


def prefix(report: dict[str, Any]) -> str:
    created = str((report.get("model") or {}).get("created_at") or "")
    return f"mining:{created}:"


def accepted_clusters(db: ConsoleDb, report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """cluster id -> {faq_id, mode, by, at} for the clusters of this model accepted so far."""
    start = prefix(report)
    rows = db.read(lambda conn: conn.execute(
        select(audit_log.c.entity, audit_log.c.username, audit_log.c.at, audit_log.c.after)
        .where(audit_log.c.action == ACCEPTED,
               audit_log.c.entity.startswith(start, autoescape=True))
        .order_by(audit_log.c.id)
    ).all())
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        after = _loads(row.after)
        found[row.entity[len(start):]] = {
            "faq_id": after.get("faq_id"), "mode": after.get("mode"), "by": row.username,
            "at": row.at.isoformat(),
        }
    return found


def _loads(value: str | None) -> dict[str, Any]:
    data = loads(value)
    return data if isinstance(data, dict) else {}


def find_cluster(report: dict[str, Any] | None, cluster_id: str) -> dict[str, Any]:
    if report is None:
        raise not_found("还没有分析结果：先点“重新分析”")
    for cluster in report["clusters"]:
        if cluster.get("id") == cluster_id:
            return dict(cluster)
    raise not_found(f"最新的分析结果里没有聚类 {cluster_id}；刷新页面后再试")


def _category(cluster: dict[str, Any], draft_category: str,
              nearest: StoredEntry | None) -> tuple[str, str]:
    """(category, department): the nearest entry's when the cluster is (partly) covered by
    it, else the cluster's most frequent category (ticket files have one), else UNSORTED.
    The nearest entry of a new topic is not used: it is far (e5 scores bunch high, so
    "nearest" can be any entry), and a plausible wrong category slips through review more
    easily than an obvious placeholder."""
    if nearest is not None and cluster.get("coverage") in ("covered", "partial"):
        return nearest.entry.category, nearest.entry.department
    if draft_category:
        return draft_category, ""
    return UNSORTED, ""


class ClusterAcceptor:
    def __init__(self, db: ConsoleDb, entries: EntryStore) -> None:
        self.db = db
        self.entries = entries

    def accept(self, report: dict[str, Any] | None, cluster_id: str, by: str,
               faq_id: str | None = None) -> Accepted:
        from bot.mining.draft import accept_cluster

        cluster = find_cluster(report, cluster_id)
        assert report is not None
        draft = accept_cluster(cluster)
        entity = prefix(report) + cluster_id
        target = None
        if faq_id:
            target = self.entries.query.get(faq_id)
            if target is None:
                raise not_found(f"条目 {faq_id} 不存在")
        nearest_id = cluster.get("nearest_faq_id")
        nearest = self.entries.query.get(nearest_id) if nearest_id else None

        def work(conn: Connection) -> Accepted:
            if self.db.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_ACCEPT_LOCK})
            _not_yet(conn, entity, cluster_id)
            owners = self.entries.query.question_owners(conn)
            if target is not None:
                done = self._merge(conn, target, draft, owners, by)
            else:
                done = self._create(conn, cluster, draft, nearest, owners, by)
            audit.record(conn, self.db, by, ACCEPTED, entity, None, {
                "cluster_id": cluster_id, "faq_id": done.stored.entry.faq_id,
                "mode": done.mode, "representative": cluster.get("representative"),
                "size": cluster.get("size"), "added": list(done.added),
            })
            return done

        return self.db.write(work)

    def _create(self, conn: Connection, cluster: dict[str, Any], draft: Any,
                nearest: StoredEntry | None, owners: dict[str, tuple[str, str]],
                by: str) -> Accepted:
        owner = owners.get(rules.question_key(draft.question))
        if owner is not None:
            raise conflict(
                f"代表问题“{draft.question}”已是条目 {owner[0]} 的问题；"
                f"请用“并入条目”把这些问法加到 {owner[0]}"
            )
        similar, skipped = _split(draft.similar_questions, owners,
                                  {rules.question_key(draft.question)})
        category, department = _category(cluster, draft.category, nearest)
        entry = to_entry("", EntryFields(category=category, question=draft.question,
                                         similar_questions=tuple(similar),
                                         department=department))
        stored = self.entries.create(entry, by, conn=conn)
        notes = list(draft.notes)
        if category == UNSORTED:
            notes.append(f"类别暂填“{UNSORTED}”：请改成合适的类别")
        return Accepted(stored, "new", (draft.question, *similar), tuple(skipped), tuple(notes))

    def _merge(self, conn: Connection, target: StoredEntry, draft: Any,
               owners: dict[str, tuple[str, str]], by: str) -> Accepted:
        own = {rules.question_key(q) for q in target.entry.all_questions}
        added, skipped = _split((draft.question, *draft.similar_questions), owners, own,
                                target.entry.faq_id)
        if not added:
            raise conflict(f"这个聚类的问法都已是条目 {target.entry.faq_id} 或其他条目的问题，"
                           "无需并入")
        current = entry_json(target.entry)
        current["similar_questions"] = [*current["similar_questions"], *added]
        entry = to_entry(target.entry.faq_id, EntryFields.of(current))
        stored = self.entries.update(entry, target.revision, by, "similar_added", conn=conn)
        notes = ("新增的相似问法需要审核通过并发布后才生效",)
        return Accepted(stored, "merged", tuple(added), tuple(skipped), notes)


def _not_yet(conn: Connection, entity: str, cluster_id: str) -> None:
    row = conn.execute(
        select(audit_log.c.username, audit_log.c.at, audit_log.c.after)
        .where(audit_log.c.action == ACCEPTED, audit_log.c.entity == entity).limit(1)
    ).first()
    if row is not None:
        faq_id = _loads(row.after).get("faq_id")
        raise conflict(
            f"聚类 {cluster_id} 已于 {row.at:%Y-%m-%d %H:%M} 由 {row.username} 采纳"
            f"（条目 {faq_id}）；请打开该条目继续编辑"
        )


def _split(texts: Any, owners: dict[str, tuple[str, str]], own: set[str],
           faq_id: str = "") -> tuple[list[str], list[dict[str, str]]]:
    """The texts no other entry (and not the entry itself) has yet, and those skipped."""
    kept: list[str] = []
    skipped: list[dict[str, str]] = []
    seen = set(own)
    for item in texts:
        key = rules.question_key(item)
        if not key or key in seen:
            continue
        seen.add(key)
        owner = owners.get(key)
        if owner is not None and owner[0] != faq_id:
            skipped.append({"text": item, "faq_id": owner[0]})
            continue
        kept.append(item)
    return kept, skipped
