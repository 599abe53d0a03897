"""What every action shares: injected services with lazy defaults, and the current turn."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from actions import services
from actions.recording import degraded

if TYPE_CHECKING:
    from rasa_sdk import Tracker

    from bot.engine.service import FaqService
    from bot.settings import Settings
    from bot.store.base import Store

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "chat"


class ServicesMixin:
    """Mixed into the action classes, not an Action itself: rasa-sdk registers every concrete
    subclass of Action, and a base class without a name would break its start-up."""

    def __init__(
        self,
        engine: FaqService | None = None,
        store: Store | None = None,
        settings: Settings | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._settings = settings

    @property
    def engine(self) -> FaqService:
        if self._engine is None:
            self._engine = services.get_engine()
        return self._engine

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = services.get_store()
        return self._store

    def store_or_none(self, tracker: Tracker) -> Store | None:
        """The store, or None (logged) when it cannot be opened: the turn goes on unrecorded."""
        try:
            return self.store
        except Exception as err:
            degraded(log, "store_unavailable", tracker.sender_id, error=repr(err))
            return None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = services.get_settings()
        return self._settings


def user_text(tracker: Tracker) -> str:
    text = (tracker.latest_message or {}).get("text")
    return text if isinstance(text, str) else ""


def channel_of(tracker: Tracker) -> str:
    metadata: Any = (tracker.latest_message or {}).get("metadata") or {}
    channel = metadata.get("channel", DEFAULT_CHANNEL) if isinstance(metadata, dict) else None
    return channel if isinstance(channel, str) and channel else DEFAULT_CHANNEL
