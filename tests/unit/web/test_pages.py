"""The voice page and the shared static mount."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.web.pages import install_pages, mount_static


def _client() -> TestClient:
    app = FastAPI()
    install_pages(app)
    return TestClient(app)


def test_the_voice_page_is_served_in_chinese() -> None:
    page = _client().get("/voice")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>海川市12345语音客服</title>" in page.text
    assert "转人工" in page.text


def test_the_page_loads_only_its_own_files() -> None:
    client = _client()
    page = client.get("/voice").text
    assert "://" not in page  # no CDN: the page works on a closed network
    for name in ("voice.js", "voice-worklet.js", "voice.css"):
        assert f"/static/{name}" in page or name == "voice-worklet.js"
        assert client.get(f"/static/{name}").status_code == 200


def test_the_static_mount_is_added_once() -> None:
    app = FastAPI()
    mount_static(app)
    mount_static(app)
    assert sum(getattr(r, "name", None) == "static" for r in app.routes) == 1


def test_a_missing_static_file_is_404() -> None:
    assert _client().get("/static/nope.js").status_code == 404
