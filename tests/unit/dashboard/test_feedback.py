"""The dashboard's citizen feedback counts answers, not how sessions ended: "有帮助" followed by
"转人工" in the same session is still an answer that helped (and `bot stats` agrees)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store.base import Channel, Outcome, TransferReason, Turn
from bot.store.sql import SqlStore
from bot.store.stats import compute_stats
from tests.unit.dashboard.served import PASSWORD, build_app

RANGE = {"since": "2026-03-02", "until": "2026-03-04"}
AT = datetime(2026, 3, 3, 9, 0)


def _helped_then_human(store: SqlStore) -> None:
    """身份证丢了怎么补办 -> F1 -> 有帮助 -> 转人工, written as the actions and gateway do."""
    store.record_turn(Turn("h1", Channel.CHAT, "身份证丢了怎么补办", AT,
                           intent="ask_question", decision="answer", faq_id="F1"))
    store.record_feedback("h1", "F1", True)
    store.end_session("h1", Outcome.DEFLECTED, confirmed=True, faq_id="F1")
    store.record_turn(Turn("h1", Channel.CHAT, "有帮助", AT.replace(minute=1),
                           intent="affirm", decision="reply"))
    store.record_handover("h1", TransferReason.CITIZEN_REQUEST, {"question": "转人工"})
    store.record_turn(Turn("h1", Channel.CHAT, "转人工", AT.replace(minute=2),
                           intent="request_human", decision="handover"))
    # A voice caller said the answer did not help; the next candidate did not either.
    store.record_turn(Turn("v1", Channel.VOICE, "医保怎么报销", AT,
                           intent="ask_question", decision="answer", faq_id="F2"))
    store.record_feedback("v1", "F2", False)
    store.record_turn(Turn("v1", Channel.VOICE, "没帮助", AT.replace(minute=1),
                           intent="deny", decision="answer", faq_id="F3"))
    store.record_feedback("v1", "F3", False)
    store.record_handover("v1", TransferReason.NEGATIVE_FEEDBACK, {"question": "医保怎么报销"})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    path: Path = tmp_path_factory.mktemp("feedback") / "bot.db"
    with SqlStore(f"sqlite:///{path}", clock=lambda: AT.replace(minute=3)) as opened:
        _helped_then_human(opened)
        yield opened


@pytest.fixture(scope="module")
def manager(store: SqlStore) -> Iterator[TestClient]:
    with TestClient(build_app(store), raise_server_exceptions=False) as client:
        r = client.post("/api/console/login", json={"username": "mgr", "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield client


def _summary(client: TestClient, **params: str) -> dict:
    r = client.get("/api/dashboard/summary", params={**RANGE, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_helped_then_handed_over_counts_as_helped(manager: TestClient) -> None:
    body = _summary(manager)
    assert body["transferred"] == 2 and body["deflected_confirmed"] == 0
    assert body["feedback"] == {"helped": 1, "not_helped": 2, "helped_rate": 0.3333}


def test_feedback_follows_the_channel(manager: TestClient) -> None:
    assert _summary(manager, channel="chat")["feedback"]["helped"] == 1
    assert _summary(manager, channel="voice")["feedback"] == {
        "helped": 0, "not_helped": 2, "helped_rate": 0.0
    }


def test_top_faqs_count_the_confirmation(manager: TestClient) -> None:
    r = manager.get("/api/dashboard/top-faqs", params=RANGE)
    items = {i["faq_id"]: i for i in r.json()["items"]}
    assert items["F1"]["confirmed"] == 1


def test_the_confirmed_question_is_not_unanswered(manager: TestClient) -> None:
    items = manager.get("/api/dashboard/unanswered", params=RANGE).json()["items"]
    assert "身份证丢了怎么补办" not in [i["text"] for i in items]
    assert [i["text"] for i in items] == ["医保怎么报销"]


def test_bot_stats_agrees_with_the_dashboard(store: SqlStore) -> None:
    stats = compute_stats(store, datetime(2026, 3, 2), datetime(2026, 3, 5))
    assert (stats.feedback_positive, stats.feedback_negative) == (1, 2)
