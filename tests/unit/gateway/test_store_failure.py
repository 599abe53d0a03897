"""A store that cannot be written (read-only SQLite file): the citizen still gets the reply.

Root can write any file, so when the tests run as root the requests are made with the
effective user switched to `nobody`, whom file permissions bind.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.engine.types import Decision
from bot.gateway.app import create_app
from bot.gateway.conversation import ConversationService
from bot.settings import Settings
from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import (
    ENTRIES,
    FakeEngine,
    FakeRasa,
    faq_payload,
    rest_items,
    result,
)

QUESTION = "身份证丢了怎么补办"


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    if os.geteuid() != 0:
        yield
        return
    nobody = pwd.getpwnam("nobody")
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def read_only_url() -> Iterator[str]:
    # Not tmp_path: pytest makes that 0700, which `nobody` cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="bot-gateway-ro-"))
    folder.chmod(0o777)
    url = f"sqlite:///{folder / 'bot.db'}"
    SqlStore(url).close()  # migrated, then made read-only
    (folder / "bot.db").chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    yield url
    shutil.rmtree(folder)


def _client(url: str, rasa: FakeRasa, engine: FakeEngine) -> tuple[TestClient, SqlStore]:
    store = SqlStore(url)
    settings = Settings(actions_port=1)
    conversation = ConversationService(rasa, engine, store, settings.max_message_chars)
    app = create_app(settings, conversation, store, engine, rasa)
    return TestClient(app, raise_server_exceptions=False), store


def test_reply_through_rasa_arrives_although_the_turn_cannot_be_recorded(
    read_only_url: str
) -> None:
    rasa = FakeRasa()
    rasa.replies[QUESTION] = rest_items(ENTRIES["SFZ001"].answer,
                                        custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.9)]))
    with unprivileged():
        client, store = _client(read_only_url, rasa, FakeEngine())
        try:
            response = client.post("/api/chat", json={"text": QUESTION, "session_id": "ro-1"})
            stored = store.get_session("ro-1")
        finally:
            client.close()
            store.close()
    assert response.status_code == 200
    assert response.json()["messages"][0]["text"] == ENTRIES["SFZ001"].answer
    assert stored is None  # nothing was written


@pytest.mark.parametrize("decision,expected", [
    (Decision.ANSWER, ENTRIES["SFZ001"].answer),
    (Decision.HANDOVER, "好的，正在为您转接人工客服，请稍候。"),
])
def test_degraded_reply_arrives_although_the_store_cannot_be_written(
    read_only_url: str, decision: Decision, expected: str
) -> None:
    engine = FakeEngine({QUESTION: result(QUESTION, decision, [("SFZ001", 0.9)])})
    with unprivileged():
        client, store = _client(read_only_url, FakeRasa(down=True), engine)
        try:
            response = client.post("/api/chat", json={"text": QUESTION, "session_id": "ro-2"})
        finally:
            client.close()
            store.close()
    assert response.status_code == 200
    assert response.json()["messages"][0]["text"] == expected
    assert response.json()["degraded"] is True
