"""The console's HTTP errors, each rendered in the gateway's one JSON error shape
(bot.gateway.app.error_body), with the offending field named where there is one."""

from __future__ import annotations

from typing import Any

from bot.gateway.app import ApiError, error_body


class ConsoleError(ApiError):
    def __init__(self, status_code: int, code: str, message: str, field: str | None = None):
        super().__init__(status_code, code, message)
        self.field = field

    def body(self) -> dict[str, Any]:
        body = error_body(self.code, str(self.detail))
        if self.field:
            body["error"]["field"] = self.field
        return body


def not_signed_in() -> ConsoleError:
    return ConsoleError(401, "not_signed_in", "请先登录控制台")


def session_expired() -> ConsoleError:
    return ConsoleError(401, "session_expired", "登录已过期，请重新登录")


def forbidden(what: str) -> ConsoleError:
    return ConsoleError(403, "forbidden", f"您的角色没有权限{what}")


def not_found(message: str) -> ConsoleError:
    return ConsoleError(404, "not_found", message)


def conflict(message: str) -> ConsoleError:
    return ConsoleError(409, "conflict", message)


def invalid(field: str, message: str) -> ConsoleError:
    return ConsoleError(422, "invalid_request", message, field)


def too_large(limit_bytes: int) -> ConsoleError:
    mb = limit_bytes / 1024 / 1024
    return ConsoleError(413, "too_large", f"文件太大：上限 {mb:g} MB；请拆成几个文件分别导入")
