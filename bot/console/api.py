"""Mounting the console on the gateway app.

    install_console(app, settings, store, engine)   # the whole console API
    install_auth(app, store)                        # sign-in only (e.g. the dashboard's tests)

`store` is the gateway's SqlStore (the console tables live in its database) and `engine`
its FaqService (publishing reloads it; the action server's own FaqService sees the new
CURRENT within RELOAD_CHECK_S on its next question).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.console.config import ConsoleSettings
from bot.console.context import Console
from bot.console.db import Clock, ConsoleDb
from bot.console.entries import EntryStore
from bot.console.errors import ConsoleError
from bot.console.imports import Importer
from bot.console.index_versions import Versions
from bot.console.jobs import JobStore
from bot.console.mining import MiningService
from bot.console.mining_accept import accepted_clusters
from bot.console.mining_unanswered import MinedUnanswered
from bot.console.publisher import Publisher
from bot.console.routes_admin import admin_router
from bot.console.routes_auth import auth_router
from bot.console.routes_entries import entries_router
from bot.console.routes_mining import mining_router
from bot.console.routes_publish import publish_router
from bot.console.routes_tools import tools_router
from bot.console.routes_unanswered import unanswered_router
from bot.console.signin import Authenticator
from bot.console.similarity import Similarity
from bot.embed.base import Embedder
from bot.errors import InputError
from bot.settings import Settings

log = logging.getLogger(__name__)


async def _console_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConsoleError)
    return JSONResponse(exc.body(), status_code=exc.status_code)


def install_auth(
    app: FastAPI,
    store: Any,
    console_settings: ConsoleSettings | None = None,
    clock: Clock = datetime.now,
) -> Authenticator:
    """Sign-in, sign-out and /me, and `require_role` for every router of `app`."""
    db = ConsoleDb.from_store(store, clock)
    auth = Authenticator(db, console_settings or ConsoleSettings.load())
    app.state.console_auth = auth
    app.add_exception_handler(ConsoleError, _console_error)
    app.include_router(auth_router(auth))
    return auth


def install_console(
    app: FastAPI,
    settings: Settings,
    store: Any,
    engine: Any,
    *,
    console_settings: ConsoleSettings | None = None,
    clock: Clock = datetime.now,
    embedder: Embedder | None = None,
    start_worker: bool = True,
    seed: bool = True,
    mining_options: Any | None = None,
) -> Console:
    """The console API on `app`; seeds the editable KB from settings.kb_dir on first use.
    `embedder` replaces the engine's for publishing (tests); `start_worker=False` leaves
    jobs queued until `console.publisher.run_pending()` is called; `mining_options`
    (bot.mining.pipeline.MineOptions) fixes the console's mining runs (default: follow the
    saved model, as a scheduled `bot mine --log` left it)."""
    auth = install_auth(app, store, console_settings, clock)
    db = auth.db
    jobs = JobStore(db)
    entries = EntryStore(db, jobs)
    publisher = Publisher(settings, jobs, entries.query, engine, embedder)
    mining = MiningService(settings, db, engine, clock, mining_options)
    console = Console(
        settings=settings, console_settings=auth.settings, db=db, auth=auth, engine=engine,
        entries=entries, jobs=jobs, publisher=publisher, versions=Versions(db, publisher),
        similarity=Similarity(engine), importer=Importer(db, entries),
        # The latest mining run's clusters group the list when there is one.
        unanswered=MinedUnanswered(db, engine, mining,
                                   lambda report: accepted_clusters(db, report)),
    )
    if seed:
        seed_from_files(console)
    for router in (entries_router, tools_router, publish_router, unanswered_router,
                   admin_router):
        app.include_router(router(console))
    app.include_router(mining_router(console, mining))
    app.state.console = console
    app.state.console_mining = mining
    if start_worker:
        publisher.start()
    return console


def seed_from_files(console: Console) -> int:
    """The bundled knowledge base, as published entries, when the console has none yet."""
    if console.entries.query.count():
        return 0
    from bot.kb.loader import load_kb

    try:
        kb = load_kb(console.settings.kb_dir)
    except InputError as err:
        log.warning("console: not seeding the knowledge base from %s: %s",
                    console.settings.kb_dir, err)
        return 0
    added = console.entries.seed(kb)
    log.info("console: seeded %d entries from %s", added, console.settings.kb_dir)
    return added
