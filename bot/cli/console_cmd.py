"""`bot console add-user|set-password|list-users`: console accounts from the command line
(the first admin has to come from somewhere). The password is read from
BOT_CONSOLE_PASSWORD, or asked for twice without echo."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from bot.errors import InputError
from bot.settings import Settings

PASSWORD_ENV = "BOT_CONSOLE_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    from bot.console.roles import ROLES  # no imports: --help stays fast

    p = subparsers.add_parser(
        "console",
        help="管理知识库控制台的账号",
        description="Console (knowledge editor, reviewer, manager, admin) accounts.",
    )
    sub = p.add_subparsers(dest="console_command", metavar="ACTION")
    sub.required = True
    add = sub.add_parser("add-user", help="新建控制台账号")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", default="", help="显示名（默认同用户名）")
    add.set_defaults(func=run_add_user)
    reset = sub.add_parser("set-password", help="重设账号密码（并解除锁定）")
    reset.add_argument("username")
    reset.set_defaults(func=run_set_password)
    listing = sub.add_parser("list-users", help="列出控制台账号")
    listing.set_defaults(func=run_list_users)


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise InputError(f"没有密码：设置环境变量 {PASSWORD_ENV}，或在终端里运行以输入密码")
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise InputError("两次输入的密码不一致；请重新运行")
    return first


def _users(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.console.db import ConsoleDb
    from bot.console.users import UserStore
    from bot.store.sql import SqlStore

    store = SqlStore.from_settings(settings)
    return store, UserStore(ConsoleDb.from_store(store))


def _console_errors(work):  # type: ignore[no-untyped-def]
    """Run `work`, turning the console's HTTP errors into the CLI's one-line errors."""
    from bot.console.errors import ConsoleError

    try:
        return work()
    except ConsoleError as err:
        raise InputError(str(err.detail)) from err


def run_add_user(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import audit

    password = _password()
    store, users = _users(settings)
    with store:
        account = _console_errors(
            lambda: users.create(args.username, args.role, password, args.display_name)
        )
        users.db.write(lambda conn: audit.record(
            conn, users.db, "cli", "user_created", f"user:{args.username}", None,
            account.to_dict()))
    print(f"console: user {account.user.username} ({account.user.role}) created")
    return 0


def run_set_password(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import audit

    password = _password()
    store, users = _users(settings)
    with store:
        before, after = _console_errors(
            lambda: users.update(args.username, {"password": password}))
        users.db.write(lambda conn: audit.record(
            conn, users.db, "cli", "user_updated", f"user:{args.username}",
            before.to_dict(), {**after.to_dict(), "changed": {"password": "***"}}))
    print(f"console: password of {args.username} changed; their sessions were ended")
    return 0


def run_list_users(args: argparse.Namespace, settings: Settings) -> int:
    store, users = _users(settings)
    with store:
        accounts = users.list()
    for a in accounts:
        state = "" if a.active else "  (disabled)"
        print(f"{a.user.username}\t{a.user.role}\t{a.user.display_name}{state}")
    if not accounts:
        print("console: no users yet; add one with `bot console add-user NAME --role admin`")
    return 0
