"""The console page shell and its static files (no browser: see tests/e2e for that)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.web.console_pages import console_pages_router
from bot.web.pages import STATIC_DIR

MODULES = sorted(
    p.relative_to(STATIC_DIR).as_posix() for p in (STATIC_DIR / "console").glob("*.js"))
IMPORT = re.compile(r"""["'](/static/[\w./-]+\.js)["']""")
ASSETS = ["common.js", "common.css", "console.js", "console.css", *MODULES]


def _client() -> TestClient:
    app = FastAPI()
    app.include_router(console_pages_router(app))
    return TestClient(app)


def test_the_console_page_is_served_in_chinese_without_caching() -> None:
    response = _client().get("/console")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert '<html lang="zh-CN">' in response.text
    assert "<title>海川市12345知识库管理</title>" in response.text


def test_every_file_the_page_loads_is_served_from_this_server() -> None:
    client = _client()
    assert {"console/editor.js", "console/entries.js", "console/ui.js"} <= set(MODULES)
    for name in ASSETS:
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        assert "://" not in asset.text, f"{name} loads something from elsewhere"


def test_every_module_the_scripts_import_exists() -> None:
    client = _client()
    imported = set()
    for name in ASSETS:
        if name.endswith(".js"):
            imported |= set(IMPORT.findall(client.get(f"/static/{name}").text))
    assert imported, "the scripts import their modules by absolute /static paths"
    for path in imported:
        assert client.get(path).status_code == 200, path


def test_no_script_writes_markup_from_data() -> None:
    # The rule the XSS e2e test checks in a browser: text goes in with textContent only.
    for name in ASSETS:
        if name.endswith(".js"):
            text = (STATIC_DIR / name).read_text(encoding="utf-8")
            code = "\n".join(
                line for line in text.splitlines() if not line.lstrip().startswith("//"))
            for sink in (".innerHTML =", ".outerHTML =", "insertAdjacentHTML", "document.write"):
                assert sink not in code, f"{name} uses {sink}"
