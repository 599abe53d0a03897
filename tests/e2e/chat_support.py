"""Shared by the chat page's browser tests: headless Chromium (Debian's, driven by
Playwright), an ASGI app served on a real port in a thread, and the page's turn helpers
(they read window.chatState, which chat.js keeps)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from bot.store.sql import SqlStore

CHROMIUM = "/usr/bin/chromium"
SHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 740}


@contextmanager
def chromium() -> Iterator[Any]:
    """The browser, or a skip naming what to install."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    pytest.importorskip("playwright.sync_api", reason="playwright missing (requirements/app.txt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        try:
            yield launched
        finally:
            launched.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"chat_{name}.png"), full_page=True)


class Served:
    """An ASGI app on a real port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        from tests.unit.gateway.gateway_fakes import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "the test server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def ask(page: Any, text: str, replies_before: int, timeout: int = 30_000) -> dict[str, Any]:
    """Type a question, send it, return the page's record of the reply."""
    page.fill("#input", text)
    page.click("#send")
    return next_reply(page, replies_before, timeout)


def next_reply(page: Any, replies_before: int, timeout: int = 30_000) -> dict[str, Any]:
    page.wait_for_function(f"() => window.chatState.replies.length > {replies_before}",
                           timeout=timeout)
    return page.evaluate(f"() => window.chatState.replies[{replies_before}]")


def connected(page: Any, timeout: int = 15_000) -> None:
    page.wait_for_function("() => window.chatState.connected === true", timeout=timeout)


def wait_ended(store: SqlStore, session_id: str, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        session = store.get_session(session_id)
        if session is not None and session.ended_at is not None:
            return True
        time.sleep(0.1)
    return False
