"""Sign-in and sign-out: checks the password, opens or ends a server-side session and
records both in the audit log."""

from __future__ import annotations

from datetime import timedelta

from bot.console import audit
from bot.console.auth import User
from bot.console.config import ConsoleSettings
from bot.console.db import ConsoleDb
from bot.console.sessions import Session, SessionStore
from bot.console.users import UserStore


class Authenticator:
    """What `require_role` resolves cookies with (app.state.console_auth)."""

    def __init__(self, db: ConsoleDb, settings: ConsoleSettings) -> None:
        self.db = db
        self.settings = settings
        self.users = UserStore(db)
        self.sessions = SessionStore(
            db,
            idle=timedelta(minutes=settings.session_idle_min),
            absolute=timedelta(hours=settings.session_max_h),
        )
        self.audit = audit.AuditLog(db)

    def login(self, username: str, password: str) -> Session:
        try:
            user = self.users.authenticate(
                username, password, self.settings.max_failed_logins,
                timedelta(minutes=self.settings.lockout_min),
            )
        except Exception:
            self.audit.record(username[:64] or "?", "login_failed", f"user:{username[:64]}")
            raise
        session = self.sessions.create(user)
        self.audit.record(user.username, "login", f"user:{user.username}")
        return session

    def logout(self, token: str) -> None:
        username = self.sessions.end(token)
        if username:
            self.audit.record(username, "logout", f"user:{username}")

    def resolve(self, token: str) -> User:
        return self.sessions.resolve(token)
