"""GET /health: ok when every part answers, degraded (naming the part) when one does not."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from bot.errors import ModelNotBuiltError
from bot.settings import Settings
from bot.voice.fake import EnergyTranscriber
from bot.voice.service import VoiceService
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


class _BrokenTranscriber(EnergyTranscriber):
    def load(self) -> None:
        raise ModelNotBuiltError("no Whisper model in /srv/whisper: run `bot build model`")


def test_voice_part_reports_a_failed_model_load(make_client: MakeClient) -> None:
    client = make_client()
    voice = VoiceService(None, _BrokenTranscriber(), None)
    client.app.state.health_parts["voice"] = voice.status  # type: ignore[attr-defined]
    body = client.get("/health").json()
    assert body["parts"]["voice"] == {"status": "ok", "engine": "fake", "loaded": False,
                                      "calls": 0}
    with pytest.raises(ModelNotBuiltError):
        voice.warm_up()  # what the first voice call does
    body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert body["parts"]["voice"]["status"] == "down"
    assert "no Whisper model in /srv/whisper" in body["parts"]["voice"]["error"]


def test_voice_part_once_loaded_and_a_probe_that_raises(make_client: MakeClient) -> None:
    client = make_client()
    voice = VoiceService(None, EnergyTranscriber(), None)
    voice.warm_up()
    parts = client.app.state.health_parts  # type: ignore[attr-defined]
    parts["voice"] = voice.status

    def broken() -> dict[str, str]:
        raise RuntimeError("probe failed")

    parts["other"] = broken
    body = client.get("/health").json()
    assert body["parts"]["voice"]["loaded"] is True
    assert body["parts"]["other"] == {"status": "down", "error": "probe failed"}
