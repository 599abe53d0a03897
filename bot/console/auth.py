"""Who may do what in the console: users, roles, their permissions, and the FastAPI
dependencies that check them.

Roles are sets of permissions, not a ladder: a manager reads statistics and entries but
edits nothing; a reviewer does everything an editor does plus approving and publishing.

    from bot.console.auth import User, require_role
    @router.get("/api/dashboard/summary")
    def summary(user: User = Depends(require_role("manager", "admin"))): ...

The dependencies find the sign-in service that `install_console` (or `install_auth`) puts
on `app.state.console_auth`; the session cookie is `bot_console`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request

from bot.console.errors import ConsoleError, forbidden, not_signed_in
from bot.console.roles import ACTIONS, PERMISSIONS, ROLES

__all__ = ["COOKIE", "PERMISSIONS", "ROLES", "User", "current_user", "require_permission",
           "require_role"]

COOKIE = "bot_console"
@dataclass(frozen=True)
class User:
    username: str
    role: str
    display_name: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def to_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "role": self.role,
            "display_name": self.display_name,
            "permissions": sorted(PERMISSIONS.get(self.role, ())),
        }


class SessionResolver(Protocol):
    def resolve(self, token: str) -> User:
        """The signed-in user, or ConsoleError 401 not_signed_in / session_expired."""
        ...


def _resolver(request: Request) -> SessionResolver:
    resolver = getattr(request.app.state, "console_auth", None)
    if resolver is None:
        raise ConsoleError(
            500, "internal_error",
            "控制台登录服务未启用：网关需调用 bot.console.api.install_console（或 install_auth）",
        )
    return resolver  # type: ignore[no-any-return]


def current_user(request: Request) -> User:
    """Dependency: the signed-in user (any role), else 401."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise not_signed_in()
    user = _resolver(request).resolve(token)
    request.state.console_user = user
    return user


def require_role(*roles: str) -> Callable[[Request], User]:
    """Dependency factory: the signed-in user if their role is one of `roles`, else 401/403."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"require_role({', '.join(roles)}): roles must be among {ROLES}")

    def dependency(request: Request) -> User:
        user = current_user(request)
        if user.role not in roles:
            raise forbidden("访问此功能")
        return user

    return dependency


def require_permission(permission: str) -> Callable[[Request], User]:
    """Dependency factory: the signed-in user if their role has `permission`, else 401/403."""
    if permission not in ACTIONS:
        raise ValueError(f"unknown console permission {permission!r}")

    def dependency(request: Request) -> User:
        user = current_user(request)
        if not user.can(permission):
            raise forbidden(ACTIONS[permission])
        return user

    return dependency
