"""The dashboard as the gateway serves it, for the API tests and the browser test: the real
gateway app, the real console sign-in (a manager, an admin and an editor), the dashboard API
and page, on a SQLite store filled by seed.py."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi import FastAPI

from bot.console.api import install_auth
from bot.console.config import ConsoleSettings
from bot.dashboard.api import dashboard_router
from bot.gateway.app import create_app
from bot.gateway.conversation import ConversationService
from bot.settings import Settings
from bot.store.sql import SqlStore
from bot.web.dashboard_pages import install_dashboard_page
from tests.unit.dashboard import seed
from tests.unit.gateway.gateway_fakes import FakeEngine, free_port

PASSWORD = "dashboard-test-pw"
USERS = (("mgr", "manager"), ("boss", "admin"), ("ed", "editor"))
TODAY = date(2026, 3, 4)  # the default range (7 days up to today) holds the whole seed


def build_app(store: SqlStore, today: date = TODAY) -> FastAPI:
    settings = Settings(data_dir=Path("."), actions_port=free_port())
    engine = FakeEngine()
    app = create_app(settings, ConversationService(None, engine, store, 2000), store, engine, None)
    auth = install_auth(app, store, ConsoleSettings())
    for name, role in USERS:
        auth.users.create(name, role, PASSWORD, f"{name} 测试")
    app.include_router(dashboard_router(store, seed.lookup, today=lambda: today, cache_ttl_s=0))
    install_dashboard_page(app)
    return app


def seeded_store(path: Path) -> SqlStore:
    clock = {"now": datetime(2026, 3, 2)}

    def set_clock(at: datetime) -> None:
        clock["now"] = at

    store = SqlStore(f"sqlite:///{path}", clock=lambda: clock["now"])
    seed.seed(store, set_clock)
    return store
