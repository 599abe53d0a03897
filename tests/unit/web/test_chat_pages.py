"""The citizen chat page (/chat), its static files and the embeddable widget script."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.web.chat_pages import content_security_policy, install_chat_pages
from bot.web.pages import install_pages

ASSETS = ("chat.js", "chat.css", "widget.js")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # an XML name, never fetched


def _client() -> TestClient:
    app = FastAPI()
    install_chat_pages(app)
    return TestClient(app)


def test_the_chat_page_is_served_in_chinese_without_caching() -> None:
    page = _client().get("/chat")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert '<html lang="zh-CN">' in page.text
    assert "<title>海川市12345在线客服</title>" in page.text
    assert 'id="human"' in page.text and ">转人工<" in page.text
    assert 'name="viewport"' in page.text  # phone layout


def test_the_embed_variant_is_the_same_page() -> None:
    client = _client()
    assert client.get("/chat?embed=1").text == client.get("/chat").text


def test_the_page_and_its_files_load_nothing_from_elsewhere() -> None:
    client = _client()
    page = client.get("/chat").text
    assert "://" not in page
    assert "/static/chat.js" in page and "/static/chat.css" in page
    for name in ASSETS:
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        assert "://" not in asset.text.replace(SVG_NAMESPACE, ""), name
    assert "@import" not in client.get("/static/chat.css").text
    assert "url(" not in client.get("/static/chat.css").text


def test_only_the_pages_own_scripts_may_run() -> None:
    policy = _client().get("/chat", headers={"host": "bot.example:8000"}).headers[
        "content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "connect-src 'self' ws://bot.example:8000 wss://bot.example:8000" in policy


def test_a_strange_host_header_is_left_out_of_the_policy() -> None:
    policy = content_security_policy("evil.example; script-src *")
    assert "connect-src 'self';" in policy and "evil" not in policy


def test_it_shares_the_static_mount_with_the_voice_page() -> None:
    app = FastAPI()
    install_pages(app)
    install_chat_pages(app)
    client = TestClient(app)
    assert sum(getattr(r, "name", None) == "static" for r in app.routes) == 1
    assert client.get("/voice").status_code == 200 and client.get("/chat").status_code == 200


def test_the_widget_frames_the_embed_page_of_its_own_server() -> None:
    widget = _client().get("/static/widget.js").text
    assert "/chat?embed=1" in widget
    assert "document.currentScript" in widget  # the host comes from the tag's own src
    assert "attachShadow" in widget  # the host page's CSS cannot reach it
