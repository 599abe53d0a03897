"""Everything the console's routes share, built once by install_console."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.console.config import ConsoleSettings
from bot.console.db import ConsoleDb
from bot.console.entries import EntryStore
from bot.console.imports import Importer
from bot.console.index_versions import Versions
from bot.console.jobs import JobStore
from bot.console.publisher import Publisher
from bot.console.records import StoredEntry
from bot.console.signin import Authenticator
from bot.console.similarity import Similarity
from bot.console.unanswered import Unanswered
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Console:
    settings: Settings
    console_settings: ConsoleSettings
    db: ConsoleDb
    auth: Authenticator
    engine: Any  # the gateway's FaqService
    entries: EntryStore
    jobs: JobStore
    publisher: Publisher
    versions: Versions
    similarity: Similarity
    importer: Importer
    unanswered: Unanswered

    def served(self) -> Any:
        """A lookup faq_id -> the entry as the serving version has it (None when absent);
        a stub that finds nothing when no index is loaded."""
        try:
            reload = getattr(self.engine, "reload_if_changed", None)
            if reload is not None:
                reload()
            matcher = self.engine.matcher
            return matcher.entry
        except Exception as err:  # noqa: BLE001 - the list still shows, "serving" is False
            log.warning("console: no serving index to compare entries with (%s)", err)
            return lambda _faq_id: None

    def entry_json(self, stored: StoredEntry, served: Any = None) -> dict[str, Any]:
        lookup = served or self.served()
        return stored.to_dict(serving=lookup(stored.entry.faq_id) == stored.entry)

    def close(self) -> None:
        self.publisher.stop()
