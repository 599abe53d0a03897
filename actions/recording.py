"""Store writes from the actions. A failing store is logged and skipped: the citizen is
still answered (the deflection log is worth less than the conversation)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from bot.store.base import Channel

if TYPE_CHECKING:
    from bot.store.base import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


def as_channel(name: str) -> Channel:
    try:
        return Channel(name)
    except ValueError:
        log.warning("unknown channel %r in message metadata; recorded as chat", name)
        return Channel.CHAT


def write(
    store: Store | None,
    op: str,
    session_id: str,
    channel: str,
    call: Callable[[Store], T],
) -> T | None:
    """Run `call(store)` after making sure the session exists; None if the store failed."""
    if store is None:
        return None
    try:
        store.start_session(session_id, as_channel(channel))
        return call(store)
    except Exception as err:  # any driver error; the conversation must go on
        degraded(log, "store_failure", session_id, op=op, error=repr(err))
        return None


def degraded(logger: logging.Logger, event: str, session_id: str, **fields: object) -> None:
    """A structured warning for a named degraded path (event=..., key=value pairs)."""
    details = " ".join(f"{k}={v}" for k, v in fields.items())
    logger.warning(
        "degraded event=%s session=%s %s",
        event,
        session_id,
        details,
        extra={"event": event, "session_id": session_id, **fields},
    )
