"""The manager dashboard in real headless Chromium.

The gateway app runs in-process on a real port (real console sign-in, dashboard API and page)
over a SQLite store seeded through the Store interface (tests/unit/dashboard/seed.py). A
manager signs in, the numbers on the page are compared with the store's own statistics, the
date range is changed, an export is downloaded and read back, the staffing parameters are
changed; the page is also opened at phone width (375 px). Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from bot.store.sql import SqlStore
from bot.store.stats import compute_stats
from tests.unit.dashboard.served import PASSWORD, build_app, seeded_store

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CITIZENS = ("chat", "voice", "phone")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SqlStore]]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium")
    pytest.importorskip("playwright.sync_api", reason="playwright missing (requirements/app.txt)")
    import uvicorn

    from tests.unit.gateway.gateway_fakes import free_port

    store = seeded_store(tmp_path_factory.mktemp("dash-e2e") / "bot.db")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


@pytest.fixture(scope="module")
def browser(served: tuple[str, SqlStore]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Any, url: str, username: str = "mgr") -> None:
    page.goto(f"{url}/dashboard")
    page.wait_for_selector("#login-form")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")


def wait_loaded(page: Any, loads: int) -> None:
    page.wait_for_function(
        f"() => window.dashboardState && window.dashboardState.loads >= {loads} "
        "&& !window.dashboardState.loading && window.dashboardState.staffing",
        timeout=30_000,
    )


def kpi(page: Any, name: str) -> tuple[str, str]:
    return (
        page.inner_text(f"#kpi-{name} .value").strip(),
        page.inner_text(f"#kpi-{name} .sub").strip(),
    )


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def store_stats(store: SqlStore, since: str, until: str) -> Any:
    start = datetime.fromisoformat(since)
    end = datetime.fromisoformat(until).replace(hour=23, minute=59, second=59)
    return compute_stats(store, start, end, channel=CITIZENS)


def assert_kpis_match(page: Any, stats: Any) -> None:
    c = stats.counts
    assert kpi(page, "sessions") == (str(c.sessions), f"已结束 {c.ended} · 进行中 {c.open}")
    assert kpi(page, "rate") == (
        pct(c.deflection_rate),
        f"已确认 {pct(c.confirmed_rate)} · 未确认 {pct(c.unconfirmed_rate)}",
    )
    assert kpi(page, "deflected")[1] == (
        f"已确认 {c.deflected_confirmed} · 未确认 {c.deflected_unconfirmed}"
    )
    assert kpi(page, "transferred")[0] == str(c.transferred)
    assert kpi(page, "work-orders")[0] == str(stats.work_orders)
    assert kpi(page, "abandoned")[0] == str(c.abandoned)
    assert kpi(page, "feedback")[1] == (
        f"有帮助 {stats.feedback_positive} · 没帮助 {stats.feedback_negative}"
    )


def test_a_manager_sees_the_stores_numbers_changes_the_range_and_exports(
    served: tuple[str, SqlStore], browser: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    url, store = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        sign_in(page, url)
        wait_loaded(page, 1)
        assert page.inner_text("#who") == "mgr 测试（管理者）"
        # The default range: the 7 days up to the server's today (2026-03-04).
        assert page.input_value("#since") == "2026-02-26"
        assert_kpis_match(page, store_stats(store, "2026-02-26", "2026-03-04"))
        assert kpi(page, "sessions")[0] == "12" and kpi(page, "rate")[0] == "36.4%"
        top = page.locator("#sec-top table.top-faqs tbody tr").all_inner_texts()
        assert [row.split("\t")[1] for row in top] == ["F1", "F2", "F3"]
        unanswered = page.locator("#sec-unanswered table tbody tr").all_inner_texts()
        assert unanswered[0].split("\t")[1:] == ["社保卡丢了怎么补办", "2"]
        # Charts are drawn: a point per day, a bar group per hour, the reasons.
        assert page.locator("#sec-day .chart svg").count() == 2
        assert page.locator("#sec-day .chart svg").first.locator("circle").count() == 3 * 7
        assert page.locator("#sec-reasons svg text.label").count() == 5
        assert page.locator("#sec-staffing svg rect.bar").count() == 48
        page.screenshot(path=str(SHOTS / "dashboard_desktop.png"), full_page=True)

        # A narrower range: 2026-03-03 only.
        page.fill("#since", "2026-03-03")
        page.fill("#until", "2026-03-03")
        page.click("#apply")
        wait_loaded(page, 2)
        stats = store_stats(store, "2026-03-03", "2026-03-03")
        assert_kpis_match(page, stats)
        assert kpi(page, "sessions")[0] == "5" and kpi(page, "work-orders")[0] == "1"
        assert page.inner_text("#range-note").startswith("2026-03-03 至 2026-03-03，共 1 天")

        # The export of that range reads back to what the page shows.
        with page.expect_download() as info:
            page.click("#sec-top a[data-format=xlsx]")
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert saved.name == "dashboard-top-faqs-2026-03-03-2026-03-03-citizens.xlsx"
        sheet = load_workbook(io.BytesIO(saved.read_bytes())).worksheets[0]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert [(r[1], r[4]) for r in rows] == [(f.faq_id, f.sessions) for f in stats.top_faqs]
        assert [(r[1], r[4]) for r in rows] == [("F2", 1), ("F3", 1)]

        # Staffing with another handling time and target: the page shows the server's answer.
        page.fill("#aht", "3600")
        page.fill("#service-level", "90")
        page.click("#staffing-apply")
        page.wait_for_function("() => window.dashboardState.staffing.aht_s === 3600")
        staffing = page.evaluate("() => window.dashboardState.staffing")
        assert staffing["service_level"] == 0.9 and staffing["rows"][10]["calls_per_hour"] == 1
        # The table sits in a closed <details>: read its cells' text, not what is rendered.
        ten = page.locator("#sec-staffing table.staffing tbody tr").nth(10).locator("td")
        assert ten.nth(0).text_content() == "10:00-10:59"
        assert ten.nth(4).text_content() == str(staffing["rows"][10]["agents_needed"])

        # A range the server refuses is explained, not a blank page.
        page.fill("#since", "2026-03-05")
        page.fill("#until", "2026-03-01")
        page.click("#apply")
        page.wait_for_selector(".banner.error")
        assert "早于" in page.inner_text(".banner.error")
        assert errors == []
    finally:
        context.close()


def test_the_dashboard_fits_a_phone(served: tuple[str, SqlStore], browser: Any) -> None:
    url, _ = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="zh-CN",
    )
    page = context.new_page()
    try:
        page.goto(f"{url}/dashboard")
        page.wait_for_selector("#login-form")
        page.screenshot(path=str(SHOTS / "dashboard_login_phone.png"))
        sign_in(page, url, "boss")
        wait_loaded(page, 1)
        assert kpi(page, "sessions")[0] == "12"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        page.screenshot(path=str(SHOTS / "dashboard_phone.png"), full_page=True)
    finally:
        context.close()


def test_an_editor_is_kept_out(served: tuple[str, SqlStore], browser: Any) -> None:
    url, _ = served
    page = browser.new_page()
    try:
        sign_in(page, url, "ed")
        page.wait_for_function(
            "() => document.querySelector('#login-error').textContent.includes('仅限')"
        )
        assert "管理者" in page.inner_text("#login-error")
        assert page.locator("#kpis").count() == 0
    finally:
        page.close()
