"""Immutable index versions on disk and the atomic pointer to the current one.

Layout under the index root:
    <version>/          one folder per version, never modified after it is published
    CURRENT             the name of the serving version (replaced with os.replace)
    .staging-*          folders being built; a failed build leaves one behind, never CURRENT
A build writes into a staging folder, renames it to its version name and only then moves
CURRENT, so a reader sees either the old version or the new one, never a half-written one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KEEP_VERSIONS = 10


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def current_name(self) -> str | None:
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name / MANIFEST).is_file() else None

    def current_path(self) -> Path | None:
        name = self.current_name()
        return self.root / name if name else None

    def versions(self) -> list[dict[str, Any]]:
        """Manifests of every published version, newest first."""
        found = []
        if self.root.is_dir():
            for child in self.root.iterdir():
                manifest = child / MANIFEST
                if child.name.startswith(".") or not manifest.is_file():
                    continue
                found.append(json.loads(manifest.read_text(encoding="utf-8")))
        return sorted(found, key=lambda m: m.get("created_at", ""), reverse=True)

    def staging(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))

    @staticmethod
    def new_version_name(content_hash: str) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        return f"v{stamp}-{content_hash[:8]}"

    def publish(self, staging: Path, name: str, manifest: dict[str, Any]) -> Path:
        """Seal a staged folder as version `name` and make it current."""
        manifest = {**manifest, "version": name}
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        final = self.root / name
        os.replace(staging, final)
        self.set_current(name)
        self.prune()
        return final

    def set_current(self, name: str) -> None:
        """Point CURRENT at an existing version (also how a rollback is done)."""
        if not (self.root / name / MANIFEST).is_file():
            raise FileNotFoundError(f"index version {name!r} does not exist under {self.root}")
        tmp = self.root / f".{CURRENT}.{os.getpid()}.tmp"
        tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(tmp, self.root / CURRENT)
        log.info("index version %s is now current", name)

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def prune(self, keep: int = KEEP_VERSIONS) -> None:
        current = self.current_name()
        for manifest in self.versions()[keep:]:
            name = manifest.get("version")
            if name and name != current:
                shutil.rmtree(self.root / name, ignore_errors=True)
