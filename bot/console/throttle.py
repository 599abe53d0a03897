"""Sign-in throttling per (username, client address), held in memory.

Keyed by the name as typed whether or not an account has it, so the answers never tell which
usernames exist; keyed by the address too, so a stranger who types `admin`'s name wrongly
five times locks only themselves out, not the administrator at their own desk. Per process:
with several gateway replicas an address gets the limit on each (still a tight limit on
guessing, at the scrypt cost per attempt).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_ENTRIES = 10_000  # a flood of made-up names must not grow memory without bound


@dataclass
class _Entry:
    failures: int = 0
    locked_until: datetime | None = None
    last: datetime | None = None


class LoginThrottle:
    def __init__(
        self, max_failed: int, lockout: timedelta, max_entries: int = MAX_ENTRIES
    ) -> None:
        self.max_failed = max(1, max_failed)
        self.lockout = lockout
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def locked_until(self, username: str, client: str, now: datetime) -> datetime | None:
        with self._lock:
            entry = self._entries.get((username, client))
            if entry is None or entry.locked_until is None:
                return None
            if entry.locked_until <= now:  # served its time: start counting afresh
                del self._entries[(username, client)]
                return None
            return entry.locked_until

    def failed(self, username: str, client: str, now: datetime) -> datetime | None:
        """Count a failed attempt; return when the pair is locked until, if it now is."""
        with self._lock:
            entry = self._entries.setdefault((username, client), _Entry())
            entry.failures += 1
            entry.last = now
            if entry.failures >= self.max_failed:
                entry.failures, entry.locked_until = 0, now + self.lockout
            if len(self._entries) > self.max_entries:
                self._prune(now)
            return entry.locked_until

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._entries.pop((username, client), None)

    def _prune(self, now: datetime) -> None:
        """Drop served locks, then the oldest entries, down to the limit."""
        for key in [k for k, e in self._entries.items()
                    if e.locked_until is not None and e.locked_until <= now]:
            del self._entries[key]
        excess = len(self._entries) - self.max_entries
        if excess > 0:
            oldest = sorted(self._entries, key=lambda k: self._entries[k].last or now)
            for key in oldest[:excess]:
                del self._entries[key]
