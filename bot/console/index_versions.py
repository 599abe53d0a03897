"""The index version history and rollback (moving CURRENT back to an older version)."""

from __future__ import annotations

from typing import Any

from bot.console import audit
from bot.console.db import ConsoleDb
from bot.console.errors import not_found
from bot.console.publisher import Publisher


def version_item(manifest: dict[str, Any]) -> dict[str, Any]:
    source = manifest.get("source") or "install"
    return {
        "name": manifest.get("version"),
        "created_at": manifest.get("created_at"),
        "entries": manifest.get("n_entries"),
        "published_by": manifest.get("published_by") or ("安装构建" if source == "install" else ""),
        "note": manifest.get("note", ""),
        "source": source,
        "embedded_rows": manifest.get("embedded_rows"),
        "build_seconds": manifest.get("build_seconds"),
    }


class Versions:
    def __init__(self, db: ConsoleDb, publisher: Publisher) -> None:
        self.db = db
        self.publisher = publisher

    def list(self) -> dict[str, Any]:
        index = self.publisher.index
        return {
            "current": index.current_name(),
            "items": [version_item(m) for m in index.versions()],
        }

    def rollback(self, name: str, by: str) -> str:
        index = self.publisher.index
        known = {m.get("version") for m in index.versions()}
        if name not in known or name.startswith("."):
            raise not_found(f"索引版本 {name} 不存在（只保留最近的若干个版本）")
        with self.publisher.lock:
            before = index.current_name()
            index.set_current(name)
            self.publisher.reload_engine()
        self.db.write(lambda conn: audit.record(
            conn, self.db, by, "rollback", f"version:{name}",
            {"current": before}, {"current": name},
        ))
        return name
