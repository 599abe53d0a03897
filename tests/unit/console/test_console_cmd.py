"""`bot console add-user | set-password | list-users`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import console_cmd
from bot.console.db import ConsoleDb
from bot.console.users import UserStore
from bot.errors import InputError
from bot.settings import Settings
from bot.store.sql import SqlStore


def _run(argv: list[str], settings: Settings) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    console_cmd.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args, settings))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def _users(settings: Settings) -> list[tuple[str, str, str]]:
    with SqlStore.from_settings(settings) as store:
        return [(a.user.username, a.user.role, a.user.display_name)
                for a in UserStore(ConsoleDb.from_store(store)).list()]


def test_add_user_with_the_password_from_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_CONSOLE_PASSWORD", "a-long-secret")
    assert _run(["console", "add-user", "root", "--role", "admin",
                 "--display-name", "管理员"], settings) == 0
    assert "root (admin) created" in capsys.readouterr().out
    assert _users(settings) == [("root", "admin", "管理员")]


def test_add_user_twice_is_a_clear_error(settings: Settings,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CONSOLE_PASSWORD", "a-long-secret")
    _run(["console", "add-user", "root", "--role", "admin"], settings)
    with pytest.raises(InputError, match="已存在"):
        _run(["console", "add-user", "root", "--role", "admin"], settings)


def test_a_weak_password_is_a_clear_error(settings: Settings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CONSOLE_PASSWORD", "short")
    with pytest.raises(InputError, match="密码太短"):
        _run(["console", "add-user", "root", "--role", "admin"], settings)


def test_without_a_password_or_a_terminal_it_says_how_to_give_one(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOT_CONSOLE_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(InputError, match="BOT_CONSOLE_PASSWORD"):
        _run(["console", "add-user", "root", "--role", "admin"], settings)


def test_mismatched_prompted_passwords_are_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOT_CONSOLE_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["a-long-secret", "another-secret"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(InputError, match="不一致"):
        _run(["console", "add-user", "root", "--role", "admin"], settings)


def test_an_unknown_role_is_refused_by_the_parser(settings: Settings) -> None:
    with pytest.raises(SystemExit):
        _run(["console", "add-user", "root", "--role", "boss"], settings)


def test_set_password_and_list_users(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_CONSOLE_PASSWORD", "a-long-secret")
    _run(["console", "add-user", "ed", "--role", "editor"], settings)
    monkeypatch.setenv("BOT_CONSOLE_PASSWORD", "another-secret")
    assert _run(["console", "set-password", "ed"], settings) == 0
    with SqlStore.from_settings(settings) as store:
        users = UserStore(ConsoleDb.from_store(store))
        assert users.authenticate("ed", "another-secret").role == "editor"
    capsys.readouterr()
    assert _run(["console", "list-users"], settings) == 0
    assert capsys.readouterr().out.strip() == "ed\teditor\ted"


def test_set_password_of_an_unknown_user(settings: Settings,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CONSOLE_PASSWORD", "a-long-secret")
    with pytest.raises(InputError, match="不存在"):
        _run(["console", "set-password", "ghost"], settings)
