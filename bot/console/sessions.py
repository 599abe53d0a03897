"""Server-side sign-in sessions: an opaque random token in the cookie, its SHA-256 in the
database, an idle timeout and an absolute limit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection

from bot.console.auth import User
from bot.console.db import ConsoleDb
from bot.console.errors import not_signed_in, session_expired
from bot.store.schema import console_sessions, console_users

# Writing last_seen_at on every request would make each read a write; a minute of slack
# in a 30-minute idle timeout does not matter.
TOUCH_EVERY = timedelta(seconds=60)
# Expired rows are kept this long so their cookie still reads "session expired".
KEEP_EXPIRED = timedelta(days=1)


@dataclass(frozen=True)
class Session:
    token: str  # only ever in the cookie
    user: User
    expires_at: datetime  # the absolute limit


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore:
    def __init__(self, db: ConsoleDb, idle: timedelta, absolute: timedelta) -> None:
        self.db = db
        self.idle = idle
        self.absolute = absolute

    def create(self, user: User) -> Session:
        token = secrets.token_urlsafe(32)
        now = self.db.now()
        expires = now + self.absolute

        def work(conn: Connection) -> None:
            # Sign-in is rare: a good moment to drop long-dead sessions.
            cutoff = now - KEEP_EXPIRED
            conn.execute(
                delete(console_sessions).where(
                    or_(
                        console_sessions.c.expires_at < cutoff,
                        console_sessions.c.last_seen_at < cutoff - self.idle,
                    )
                )
            )
            conn.execute(
                insert(console_sessions).values(
                    token_hash=token_hash(token), username=user.username, created_at=now,
                    last_seen_at=now, expires_at=expires,
                )
            )

        self.db.write(work)
        return Session(token, user, expires)

    def resolve(self, token: str) -> User:
        key = token_hash(token)
        now = self.db.now()
        row = self.db.read(lambda conn: _lookup(conn, key))
        if row is None:
            raise not_signed_in()
        if not row.active:
            raise not_signed_in()
        if now >= row.expires_at or now - row.last_seen_at >= self.idle:
            raise session_expired()
        if now - row.last_seen_at >= TOUCH_EVERY:
            self.db.write(
                lambda conn: conn.execute(
                    update(console_sessions)
                    .where(console_sessions.c.token_hash == key)
                    .values(last_seen_at=now)
                )
            )
        return User(row.username, row.role, row.display_name or row.username)

    def end(self, token: str) -> str | None:
        """Delete the session; return whose it was (None: no such session)."""
        key = token_hash(token)

        def work(conn: Connection) -> str | None:
            username = conn.execute(
                select(console_sessions.c.username).where(console_sessions.c.token_hash == key)
            ).scalar_one_or_none()
            conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == key))
            return username

        return self.db.write(work)


def _lookup(conn: Connection, key: str) -> Any:
    return conn.execute(
        select(
            console_sessions.c.last_seen_at,
            console_sessions.c.expires_at,
            console_users.c.username,
            console_users.c.role,
            console_users.c.display_name,
            console_users.c.active,
        )
        .join(console_users, console_users.c.username == console_sessions.c.username)
        .where(console_sessions.c.token_hash == key)
    ).one_or_none()
