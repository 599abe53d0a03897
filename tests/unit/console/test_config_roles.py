"""Console settings and the role table."""

from __future__ import annotations

import pytest

from bot.console.auth import PERMISSIONS, ROLES, User, require_role
from bot.console.config import ConsoleSettings
from bot.errors import ConfigError


def test_defaults() -> None:
    s = ConsoleSettings.load(environ={}, dotenv=None)
    assert (s.session_idle_min, s.session_max_h, s.max_upload_bytes) == (30, 8, 10 * 1024 * 1024)


def test_values_from_the_environment() -> None:
    s = ConsoleSettings.load(environ={"BOT_CONSOLE_SESSION_IDLE_MIN": "15",
                                      "BOT_CONSOLE_SESSION_MAX_H": "4"}, dotenv=None)
    assert (s.session_idle_min, s.session_max_h) == (15, 4)


@pytest.mark.parametrize(("key", "value"), [
    ("BOT_CONSOLE_SESSION_IDLE_MIN", "soon"),
    ("BOT_CONSOLE_SESSION_IDLE_MIN", "0"),
    ("BOT_CONSOLE_SESSION_MAX_H", "1000"),
    ("BOT_CONSOLE_COOKIE_SECURE", "maybe"),
])
def test_a_bad_value_names_the_key(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        ConsoleSettings.load(environ={key: value}, dotenv=None)


def test_roles_are_permission_sets_not_a_ladder() -> None:
    assert set(ROLES) == set(PERMISSIONS)
    assert "entries.edit" not in PERMISSIONS["manager"]
    assert "dashboard" not in PERMISSIONS["reviewer"]
    assert PERMISSIONS["editor"] < PERMISSIONS["reviewer"] < PERMISSIONS["admin"]
    assert "entries.review" not in PERMISSIONS["editor"]
    assert User("a", "admin", "A").can("users") and not User("b", "reviewer", "B").can("users")


def test_require_role_refuses_an_unknown_role() -> None:
    with pytest.raises(ValueError, match="boss"):
        require_role("boss")
