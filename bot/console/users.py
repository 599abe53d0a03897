"""Console user accounts: create, list, change, and check a password at sign-in (the
lockout after repeated wrong passwords is bot.console.throttle's)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from bot.console.auth import ROLES, User
from bot.console.db import ConsoleDb
from bot.console.errors import ConsoleError, conflict, invalid, not_found
from bot.console.passwords import burn_time, hash_password, verify_password
from bot.errors import InputError
from bot.store.schema import console_sessions, console_users

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MAX_DISPLAY_NAME = 100


@dataclass(frozen=True)
class Account:
    user: User
    active: bool
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.user.to_dict(),
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def check_username(username: object) -> str:
    if not isinstance(username, str) or not USERNAME.match(username):
        raise invalid("username", "用户名只能包含字母、数字和 _ . -，长度 2-64")
    return username


def check_role(role: object) -> str:
    if role not in ROLES:
        raise invalid("role", f"角色 {role!r} 不存在；可用的角色：{', '.join(ROLES)}")
    return str(role)


def check_display_name(name: object) -> str:
    if not isinstance(name, str) or len(name.strip()) > MAX_DISPLAY_NAME:
        raise invalid("display_name", f"显示名最多 {MAX_DISPLAY_NAME} 个字符")
    return name.strip()


def _hash(password: str) -> str:
    try:
        return hash_password(password)
    except InputError as err:
        raise invalid("password", str(err)) from err


def _account(row: Row[Any]) -> Account:
    user = User(row.username, row.role, row.display_name or row.username)
    return Account(user, bool(row.active), row.created_at, row.updated_at)


class UserStore:
    def __init__(self, db: ConsoleDb) -> None:
        self.db = db

    def create(self, username: str, role: str, password: str, display_name: str = "") -> Account:
        name = check_username(username)
        values = {
            "username": name,
            "role": check_role(role),
            "display_name": check_display_name(display_name) or name,
            "password_hash": _hash(password),
            "active": True,
            "failed_logins": 0,
            "created_at": self.db.now(),
            "updated_at": self.db.now(),
        }

        def work(conn: Connection) -> Account:
            if _row(conn, name) is not None:
                raise conflict(f"用户名 {name} 已存在")
            conn.execute(insert(console_users).values(**values))
            return _account(_must(conn, name))

        return self.db.write(work)

    def get(self, username: str) -> Account | None:
        row = self.db.read(lambda conn: _row(conn, username))
        return None if row is None else _account(row)

    def list(self) -> list[Account]:
        rows = self.db.read(
            lambda conn: conn.execute(select(console_users).order_by(console_users.c.username))
            .all()
        )
        return [_account(r) for r in rows]

    def update(self, username: str, changes: dict[str, Any]) -> tuple[Account, Account]:
        """(before, after); a changed role, password or deactivation ends the user's sessions."""
        values: dict[str, Any] = {}
        if "role" in changes:
            values["role"] = check_role(changes["role"])
        if "display_name" in changes:
            values["display_name"] = check_display_name(changes["display_name"]) or username
        if "active" in changes:
            if not isinstance(changes["active"], bool):
                raise invalid("active", "active 只能是 true 或 false")
            values["active"] = changes["active"]
        if "password" in changes:
            values["password_hash"] = _hash(changes["password"])
            values["failed_logins"], values["locked_until"] = 0, None
        if not values:
            raise invalid("body", "没有要修改的字段：可改 role、display_name、active、password")
        values["updated_at"] = self.db.now()

        def work(conn: Connection) -> tuple[Account, Account]:
            before = _account(_must(conn, username))
            conn.execute(
                update(console_users).where(console_users.c.username == username).values(**values)
            )
            if {"role", "active", "password_hash"} & values.keys():
                conn.execute(
                    delete(console_sessions).where(console_sessions.c.username == username)
                )
            return before, _account(_must(conn, username))

        return self.db.write(work)

    def authenticate(self, username: str, password: str) -> User:
        """The user, or ConsoleError 401 invalid_credentials. An unknown or inactive name
        costs the same scrypt hash as a wrong password; throttling is the caller's
        (bot.console.throttle), keyed so that it does not reveal which names exist."""
        row = self.db.read(lambda conn: _row(conn, username)) if USERNAME.match(username) else None
        if row is None or not row.active:
            burn_time(password)
            raise bad_credentials()
        if not verify_password(password, row.password_hash):
            raise bad_credentials()
        return _account(row).user


def bad_credentials() -> ConsoleError:
    return ConsoleError(401, "invalid_credentials", "用户名或密码错误")


def _row(conn: Connection, username: str) -> Row[Any] | None:
    return conn.execute(
        select(console_users).where(console_users.c.username == username)
    ).one_or_none()


def _must(conn: Connection, username: str) -> Row[Any]:
    row = _row(conn, username)
    if row is None:
        raise not_found(f"用户 {username} 不存在")
    return row
