"""The action server's shared services, built on first use (never on import).

rasa-sdk instantiates every action with no arguments, so each action falls back to these
process-wide singletons; unit tests pass fakes to the action's `__init__` instead.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.engine.service import FaqService
    from bot.settings import Settings
    from bot.store.base import Store

_lock = threading.Lock()
_settings: Settings | None = None
_engine: FaqService | None = None
_store: Store | None = None


def get_settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            from bot.settings import Settings

            _settings = Settings.load()
        return _settings


def get_engine() -> FaqService:
    """The FAQ engine with the current index version loaded (loads the model the first time)."""
    global _engine
    settings = get_settings()
    with _lock:
        if _engine is None:
            from bot.engine.service import FaqService

            # Only cached once loaded, so a missing index is retried on the next call.
            engine = FaqService.from_settings(settings)
            engine.load()
            _engine = engine
        return _engine


def get_store() -> Store:
    global _store
    settings = get_settings()
    with _lock:
        if _store is None:
            from bot.store.sql import SqlStore

            _store = SqlStore.from_settings(settings)
        return _store


def warm_up() -> None:
    """Load the engine and open the store now rather than on the first citizen's turn."""
    get_engine()
    get_store()


def reset() -> None:
    """Forget the singletons (tests, or after the settings changed)."""
    global _settings, _engine, _store
    with _lock:
        _settings = _engine = _store = None
