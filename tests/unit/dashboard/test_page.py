"""GET /dashboard and the files it loads: served, Chinese, nothing from another host."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.web.dashboard_pages import install_dashboard_page
from bot.web.pages import STATIC_DIR, install_pages

ASSETS = ("dashboard.js", "dashboard.css", "charts.js", "common.js", "common.css")


def _client() -> TestClient:
    app = FastAPI()
    install_dashboard_page(app)
    return TestClient(app)


def test_the_dashboard_page_is_served_in_chinese_without_caching() -> None:
    response = _client().get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert '<html lang="zh-CN">' in response.text
    assert "<title>海川市12345运营看板</title>" in response.text
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in response.text


def test_the_page_and_its_scripts_load_only_our_own_files() -> None:
    client = _client()
    page = client.get("/dashboard").text
    for name in ("dashboard.js", "dashboard.css", "common.css"):
        assert f'"/static/{name}"' in page
    for name in ASSETS:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        # The SVG namespace is an identifier, not a fetch.
        text = response.text.replace('"http://www.w3.org/2000/svg"', "")
        assert "://" not in text, name
    imports = re.findall(r'from "([^"]+)"', (STATIC_DIR / "dashboard.js").read_text("utf-8"))
    assert imports and all(path.startswith("/static/") for path in imports)


def test_the_page_sits_beside_the_other_pages() -> None:
    app = FastAPI()
    install_pages(app)
    install_dashboard_page(app)
    client = TestClient(app)
    assert client.get("/voice").status_code == 200
    assert client.get("/dashboard").status_code == 200
    assert sum(getattr(r, "name", None) == "static" for r in app.routes) == 1


def test_the_scripts_never_write_html_from_data() -> None:
    for name in ("dashboard.js", "charts.js"):
        text = (STATIC_DIR / name).read_text("utf-8")
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, name
