"""The store's error type (a BotError, so the CLI prints one `Error: ...` line).
It could move into bot/errors.py beside the others; import it from here until then."""

from __future__ import annotations

from bot.errors import BotError


class StoreError(BotError):
    """The deflection log cannot be read or written (locked, read-only, unreachable)."""
