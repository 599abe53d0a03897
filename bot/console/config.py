"""Console settings, read once at the edge like bot/settings.py.

Keys (environment > `.env` > defaults):
  BOT_CONSOLE_SESSION_IDLE_MIN   sign out after this many idle minutes (default 30)
  BOT_CONSOLE_SESSION_MAX_H      sign out this many hours after sign-in at the latest (default 8)
  BOT_CONSOLE_MAX_UPLOAD_MB      largest import file accepted (default 10)
  BOT_CONSOLE_COOKIE_SECURE      auto (Secure when the request came over https), true, false
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import PROJECT_ROOT, _read_dotenv

COOKIE_MODES = ("auto", "true", "false")


@dataclass(frozen=True)
class ConsoleSettings:
    session_idle_min: float = 30.0
    session_max_h: float = 8.0
    # 10 MB holds tens of thousands of FAQ rows; a bigger upload is a mistake or an attack.
    max_upload_mb: float = 10.0
    cookie_secure: str = "auto"
    # Sign-in is refused for this long after this many wrong passwords in a row.
    max_failed_logins: int = 5
    lockout_min: float = 15.0

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv: Path | None = PROJECT_ROOT / ".env",
    ) -> ConsoleSettings:
        source: dict[str, str] = _read_dotenv(dotenv) if dotenv else {}
        source.update(os.environ if environ is None else environ)
        idle = _number(source, "BOT_CONSOLE_SESSION_IDLE_MIN", cls.session_idle_min, 1, 24 * 60)
        max_h = _number(source, "BOT_CONSOLE_SESSION_MAX_H", cls.session_max_h, 0.1, 24 * 7)
        upload = _number(source, "BOT_CONSOLE_MAX_UPLOAD_MB", cls.max_upload_mb, 0.01, 200)
        secure = source.get("BOT_CONSOLE_COOKIE_SECURE", "auto").strip().lower()
        if secure not in COOKIE_MODES:
            raise ConfigError(
                f"BOT_CONSOLE_COOKIE_SECURE={secure!r} is not one of {', '.join(COOKIE_MODES)}"
            )
        return cls(idle, max_h, upload, secure)


def _number(source: Mapping[str, str], key: str, default: float, low: float, high: float) -> float:
    raw = source.get(key)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise ConfigError(f"{key}={raw!r} is not a number") from err
    if not low <= value <= high:
        raise ConfigError(f"{key}={raw!r} must be between {low:g} and {high:g}")
    return value
