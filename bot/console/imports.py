"""Bulk import in two steps: a preview of what would be added, changed, left alone and
rejected (nothing written), then apply by the preview's token, as drafts (or submitted for
review), never straight into the serving index.

Reading, column mapping and row checks are the file importer's (bot/kb/importer.py,
bot/kb/merge.py), so a sheet gets the same verdicts here as from `bot kb import`. Previews
live in this process's memory for PREVIEW_TTL; behind several gateway replicas the apply
must reach the replica that made the preview (sticky sessions), or the token is unknown.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from bot.console import audit
from bot.console.db import ConsoleDb
from bot.console.entries import EntryStore
from bot.console.errors import invalid, not_found
from bot.console.fields import stored_problem
from bot.console.records import RETIRED
from bot.errors import InputError
from bot.kb.importer import import_table
from bot.kb.merge import merge_import
from bot.kb.model import COLUMNS, FaqEntry, KnowledgeBase
from bot.kb.tables import TABLE_SUFFIXES

PREVIEW_TTL = timedelta(minutes=30)
MAX_PREVIEWS = 50  # per process; the oldest goes first
ID_PREFIX = "IMP"


@dataclass(frozen=True)
class Preview:
    token: str
    username: str
    filename: str
    created_at: datetime
    added: tuple[FaqEntry, ...]
    changed: tuple[tuple[FaqEntry, int], ...]  # (new content, revision it was compared with)
    summary: dict[str, Any]


def _changed_fields(before: FaqEntry, after: FaqEntry) -> list[str]:
    return [f.name for f in fields(FaqEntry) if getattr(before, f.name) != getattr(after, f.name)]


class Importer:
    def __init__(self, db: ConsoleDb, entries: EntryStore) -> None:
        self.db = db
        self.entries = entries
        self._previews: dict[str, Preview] = {}
        self._lock = threading.Lock()

    def preview(self, data: bytes, filename: str, mapping: dict[str, str | None],
                username: str) -> dict[str, Any]:
        suffix = Path(filename).suffix.lower()
        if suffix == ".xls":
            raise invalid(
                "file", "旧版 Excel (.xls) 格式不支持；请另存为 .xlsx 或 CSV UTF-8 后再试"
            )
        if suffix not in TABLE_SUFFIXES:
            raise invalid(
                "file",
                f"不认识的文件类型 {suffix or '（无扩展名）'}；请上传 {', '.join(TABLE_SUFFIXES)}",
            )
        unknown = sorted(set(mapping) - set(COLUMNS))
        if unknown:
            raise invalid(
                "mapping", f"列映射里的字段 {unknown[0]!r} 不存在；可用：{', '.join(COLUMNS)}"
            )
        with tempfile.TemporaryDirectory(prefix="console-import-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                result = import_table(path, mapping or None, id_prefix=ID_PREFIX)
            except InputError as err:
                # Messages name the temporary file; the editor knows it by its own name.
                raise invalid("file", str(err).replace(str(path), filename)) from err
        all_entries = self.entries.query.search_all()
        live = KnowledgeBase.of(s.entry for s in all_entries if s.status != RETIRED)
        revisions = {s.entry.faq_id: s for s in all_entries}
        merged = merge_import(live, result)
        rows = {item.entry.faq_id: item.row for item in result.located}
        rejected: list[dict[str, Any]] = [{"row": p.row, "field": p.field, "message": p.message}
                    for p in merged.rejected]
        added: list[FaqEntry] = []
        changed: list[tuple[FaqEntry, FaqEntry, int]] = []
        for entry in (*merged.added, *(a for _, a in merged.changed)):
            if problem := stored_problem(entry):
                rejected.append({"row": rows.get(entry.faq_id, 0), "field": problem[0],
                                 "message": problem[1]})
        refused = {r["row"] for r in rejected}
        for entry in merged.added:
            if rows.get(entry.faq_id) in refused:
                continue
            old = revisions.get(entry.faq_id)  # a retired entry comes back as a change
            if old is None:
                added.append(entry)
            else:
                changed.append((old.entry, entry, old.revision))
        changed += [(b, a, revisions[a.faq_id].revision) for b, a in merged.changed
                    if rows.get(a.faq_id) not in refused]
        rejected.sort(key=lambda r: r["row"])
        token = secrets.token_urlsafe(16)
        summary = {
            "token": token,
            "filename": filename,
            "mapping": dict(result.mapping.items()),
            "rows_read": result.rows_read,
            "added": [{"faq_id": e.faq_id, "question": e.question} for e in added],
            "changed": [
                {"faq_id": a.faq_id, "question": a.question, "fields": _changed_fields(b, a)}
                for b, a, _ in changed
            ],
            "unchanged": len(merged.unchanged),
            "rejected": rejected,
            "expires_at": (self.db.now() + PREVIEW_TTL).isoformat(),
        }
        preview = Preview(token, username, filename, self.db.now(), tuple(added),
                          tuple((a, rev) for _, a, rev in changed), summary)
        with self._lock:
            self._purge()
            self._previews[token] = preview
            while len(self._previews) > MAX_PREVIEWS:
                self._previews.pop(next(iter(self._previews)))
        return summary

    def apply(self, token: str, username: str, submit: bool = False) -> dict[str, Any]:
        with self._lock:
            self._purge()
            preview = self._previews.get(token)
            if preview is None or preview.username != username:
                raise not_found("导入预览不存在或已过期（30 分钟）；请重新上传文件预览")

        def work(conn: Connection) -> dict[str, Any]:
            for entry in preview.added:
                self.entries.create(entry, username, "imported", conn=conn)
                if submit:
                    self.entries.submit(entry.faq_id, username, conn=conn)
            for entry, revision in preview.changed:
                self.entries.update(entry, revision, username, "imported", conn=conn)
                if submit:
                    self.entries.submit(entry.faq_id, username, conn=conn)
            counts = {"added": len(preview.added), "changed": len(preview.changed)}
            audit.record(conn, self.db, username, "import", f"import:{preview.filename}"[:200],
                         None, {**counts, "submitted": submit})
            return counts

        counts = self.db.write(work)
        with self._lock:
            self._previews.pop(token, None)
        return counts

    def _purge(self) -> None:
        cutoff = self.db.now() - PREVIEW_TTL
        for token in [t for t, p in self._previews.items() if p.created_at < cutoff]:
            del self._previews[token]
