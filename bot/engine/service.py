"""The FAQ service the actions, the gateway and the CLI call: the serving index version,
swapped in without a restart when a publish moves the CURRENT pointer."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from bot.embed.base import Embedder
from bot.embed.factory import make_embedder
from bot.engine.builder import build_version, load_version
from bot.engine.matcher import FaqMatcher
from bot.engine.queries import LabelledQuery, check_ids, load_queries
from bot.engine.types import FaqResult
from bot.errors import ModelNotBuiltError
from bot.index.versions import IndexStore
from bot.kb.model import FaqEntry, KnowledgeBase
from bot.settings import Settings
from bot.text.tokenize import HotlineTokenizer

log = logging.getLogger(__name__)

# How often (seconds) a running service looks at CURRENT for a newly published version.
RELOAD_CHECK_S = 1.0


class FaqService:
    def __init__(
        self,
        index_store: IndexStore,
        embedder: Embedder,
        tokenizer: HotlineTokenizer | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.index_store = index_store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.settings = settings or Settings()
        self._matcher: FaqMatcher | None = None
        self._lock = threading.Lock()
        self._checked_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FaqService:
        tokenizer = HotlineTokenizer.from_settings(settings)
        return cls(IndexStore(settings.index_dir), make_embedder(settings), tokenizer, settings)

    @property
    def matcher(self) -> FaqMatcher:
        if self._matcher is None:
            self.load()
        assert self._matcher is not None
        return self._matcher

    @property
    def version(self) -> str | None:
        return self._matcher.version if self._matcher else self.index_store.current_name()

    def load(self) -> FaqService:
        """Load the current index version (idempotent)."""
        with self._lock:
            if self._matcher is None:
                self._matcher = self._load_current()
        return self

    def _load_current(self) -> FaqMatcher:
        path = self.index_store.current_path()
        if path is None:
            raise ModelNotBuiltError(
                f"no FAQ index under {self.index_store.root}: run `make install` "
                "or `bot build index`"
            )
        matcher = load_version(path, self.embedder, self.tokenizer)
        log.info("serving FAQ index version %s (%d entries)", matcher.version, len(matcher.entries))
        return matcher

    def reload_if_changed(self, force: bool = False) -> bool:
        """Swap in a newly published version; a version that fails to load is not swapped in."""
        now = time.monotonic()
        if not force and now - self._checked_at < RELOAD_CHECK_S:
            return False
        self._checked_at = now
        name = self.index_store.current_name()
        if name is None or (self._matcher is not None and name == self._matcher.version):
            return False
        try:
            fresh = self._load_current()
        except Exception:
            log.exception("index version %s failed to load; keeping %s", name, self.version)
            return False
        with self._lock:
            self._matcher = fresh
        return True

    def ask(self, text: str) -> FaqResult:
        self.reload_if_changed()
        return self.matcher.ask(text)

    def entry(self, faq_id: str) -> FaqEntry | None:
        return self.matcher.entry(faq_id)

    def build(
        self,
        kb: KnowledgeBase,
        calibration: list[LabelledQuery] | None = None,
        note: str = "",
    ) -> Path:
        """Build and publish a version of `kb`, then serve it."""
        if calibration:
            check_ids(calibration, {e.faq_id for e in kb})
        path = build_version(
            kb,
            self.embedder,
            self.index_store,
            tokenizer=self.tokenizer,
            exact_max=self.settings.exact_search_max_vectors,
            answer_weight=self.settings.answer_weight,
            lexical_weight=self.settings.lexical_weight,
            calibration=calibration,
            target_precision=self.settings.target_precision,
            note=note,
        )
        self.reload_if_changed(force=True)
        return path


def bundled_calibration(settings: Settings) -> list[LabelledQuery]:
    folder = settings.kb_dir / "calibration"
    if not folder.is_dir() or not any(folder.glob("*.csv")):
        return []
    return [q for q in load_queries(folder) if q.kind in ("paraphrase", "out_of_scope")]
