"""Clients of the served dashboard (served.py): signed out, or signed in as a manager, an
admin or an editor."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.store.sql import SqlStore
from tests.unit.dashboard.served import PASSWORD, build_app, seeded_store


# One seeded store and app per test module: the tests only read, and each sign-in costs a
# deliberate scrypt hash.
@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    store = seeded_store(tmp_path_factory.mktemp("dashboard") / "bot.db")
    yield store
    store.close()


@pytest.fixture(scope="module")
def app(seeded: SqlStore) -> FastAPI:
    return build_app(seeded)


SignIn = Callable[[str | None], TestClient]


@pytest.fixture
def client_as(app: FastAPI) -> Iterator[SignIn]:
    opened: list[TestClient] = []

    def factory(username: str | None) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        opened.append(client)
        if username is not None:
            response = client.post(
                "/api/console/login", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
        return client

    yield factory
    for client in opened:
        client.close()


@pytest.fixture(scope="module")
def manager(app: FastAPI) -> Iterator[TestClient]:
    """Signed in once for the module; a test that signs out uses a client of its own."""
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/console/login", json={"username": "mgr", "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client
