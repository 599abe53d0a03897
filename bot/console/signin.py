"""Sign-in and sign-out: checks the password, opens or ends a server-side session and
records both in the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.console import audit
from bot.console.auth import User
from bot.console.config import ConsoleSettings
from bot.console.db import ConsoleDb
from bot.console.errors import ConsoleError
from bot.console.passwords import burn_time
from bot.console.sessions import Session, SessionStore
from bot.console.throttle import LoginThrottle
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
        self.throttle = LoginThrottle(
            settings.max_failed_logins, timedelta(minutes=settings.lockout_min)
        )

    def login(self, username: str, password: str, client: str = "") -> Session:
        """Check the password of `username` signing in from address `client`. Every failure
        looks the same whether or not the name exists: 401 invalid_credentials, and after
        too many from one address 429 too_many_attempts for that (name, address) only."""
        name = username[:64]
        now = self.db.now()
        until = self.throttle.locked_until(name, client, now)
        try:
            if until is not None:
                burn_time(password)  # a locked attempt takes as long as any other
                raise _locked(until)
            try:
                user = self.users.authenticate(username, password)
            except ConsoleError as err:
                if err.status_code == 401:
                    self.throttle.failed(name, client, now)
                raise
        except Exception:
            self.audit.record(name or "?", "login_failed", f"user:{name}")
            raise
        self.throttle.succeeded(name, client)
        session = self.sessions.create(user)
        self.audit.record(user.username, "login", f"user:{user.username}")
        return session

    def logout(self, token: str) -> None:
        username = self.sessions.end(token)
        if username:
            self.audit.record(username, "logout", f"user:{username}")

    def resolve(self, token: str) -> User:
        return self.sessions.resolve(token)


def _locked(until: datetime) -> ConsoleError:
    # The same words for every name: "ask an administrator" helps a real user who forgot
    # the password, and says nothing about whether the name exists.
    return ConsoleError(
        429, "too_many_attempts",
        f"登录失败次数过多，请于 {until:%H:%M} 后再试；忘记密码请联系管理员重置",
    )
