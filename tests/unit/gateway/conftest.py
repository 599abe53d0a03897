"""Fixtures for the gateway tests: the real app and the real SqlStore on a temporary SQLite
file, with a scripted rasa client and FAQ engine (gateway_fakes.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.gateway.conversation import ConversationService
from bot.settings import Settings
from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import FakeEngine, FakeRasa, free_port


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Nothing listens on this port: the action server counts as down unless a test
    # starts a stand-in there.
    return Settings(data_dir=tmp_path, actions_port=free_port(), max_message_chars=2000)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as opened:
        yield opened


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(
    settings: Settings, store: SqlStore, rasa: FakeRasa, engine: FakeEngine
) -> Iterator[MakeClient]:
    """Build a client; keyword arguments replace the default settings/store/rasa/engine."""
    opened: list[TestClient] = []

    def factory(**kw: object) -> TestClient:
        s = kw.get("settings", settings)
        st = kw.get("store", store)
        r = kw.get("rasa", rasa)
        e = kw.get("engine", engine)
        conversation = ConversationService(r, e, st, s.max_message_chars)  # type: ignore[arg-type, attr-defined]
        client = TestClient(create_app(s, conversation, st, e, r),  # type: ignore[arg-type]
                            raise_server_exceptions=False)
        opened.append(client)
        return client

    yield factory
    for client in opened:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
