"""GET /health: ok when every part answers, degraded (naming the part) when one does not."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from bot.settings import Settings
from tests.unit.gateway.conftest import MakeClient
from tests.unit.gateway.gateway_fakes import (
    INDEX_VERSION,
    FakeEngine,
    FakeRasa,
    action_server_health,
)


def test_all_parts_up_is_ok(make_client: MakeClient, settings: Settings) -> None:
    with action_server_health() as port:
        client = make_client(settings=replace(settings, actions_port=port))
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["parts"] == {
        "gateway": {"status": "ok"},
        "faq_index": {"status": "ok", "version": INDEX_VERSION},
        "store": {"status": "ok"},
        "rasa": {"status": "ok", "model": "hotline.tar.gz"},
        "actions": {"status": "ok"},
    }


def test_rasa_down_is_degraded_and_named(
    make_client: MakeClient, settings: Settings, rasa: FakeRasa
) -> None:
    rasa.down = True
    with action_server_health() as port:
        body = make_client(settings=replace(settings, actions_port=port)).get("/health").json()
    assert body["status"] == "degraded"
    assert body["parts"]["rasa"]["status"] == "down"
    assert body["parts"]["rasa"]["error"]
    assert {k for k, v in body["parts"].items() if v["status"] != "ok"} == {"rasa"}


def test_action_server_down_is_degraded(client: TestClient) -> None:
    # The fixture's actions_port has nothing listening.
    body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert body["parts"]["actions"]["status"] == "down"


def test_without_rasa_configured_rasa_is_disabled(
    make_client: MakeClient, settings: Settings
) -> None:
    with action_server_health() as port:
        body = make_client(settings=replace(settings, actions_port=port), rasa=None).get(
            "/health").json()
    assert body["parts"]["rasa"] == {"status": "disabled"}
    assert body["status"] == "ok"


def test_no_index_is_down(make_client: MakeClient, engine: FakeEngine) -> None:
    engine.version = None
    body = make_client().get("/health").json()
    assert body["parts"]["faq_index"] == {"status": "down", "version": None}
    assert body["status"] == "degraded"


def test_health_reports_a_version_published_since_start(
    make_client: MakeClient, engine: FakeEngine
) -> None:
    engine.published = "v-published-later"
    body = make_client().get("/health").json()
    assert body["parts"]["faq_index"] == {"status": "ok", "version": "v-published-later"}


class _BrokenEngine(FakeEngine):
    @property  # type: ignore[override]
    def version(self) -> str | None:
        raise RuntimeError("index folder unreadable")

    @version.setter
    def version(self, value: str | None) -> None:
        pass


def test_an_engine_that_raises_is_reported_not_raised(make_client: MakeClient) -> None:
    response = make_client(engine=_BrokenEngine()).get("/health")
    assert response.status_code == 200
    assert response.json()["parts"]["faq_index"] == {
        "status": "down", "error": "index folder unreadable"}
