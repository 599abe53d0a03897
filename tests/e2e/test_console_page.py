"""The knowledge-editor console in real headless Chromium (Playwright driving /usr/bin/chromium).

The gateway runs in-process on a real port, composed as bot.gateway.factory.build_gateway
does (FaqService, SqlStore, ConversationService, create_app) plus the console API
(bot.console.api.install_console, with its real background publisher) and the console page;
no voice. Two ways:
- degraded (every test): no rasa, the FAQ engine answers /api/chat directly; the
  deterministic fake embedder (settings embedder="fake") over the bundled knowledge base,
  its first index built with fixed thresholds so an exact question is answered.
- real stack (test 1 again, skipped when a part is not built): the Supervisor runs the real
  rasa server and action server; /api/chat goes gateway -> rasa -> action server -> FAQ
  engine, with the real e5 model, over a copy of the built index in a temporary build
  folder, so a publish here never moves the project's own CURRENT.
Users are created with the console's own UserStore, entries through its API.

1. An editor adds an entry (sees the near-duplicate check and the try-it result) and submits
   it; a reviewer approves it; after the background publish /api/chat answers with it.
2. An editor is shown no approve/retire button, and a direct approve call gets 403.
3. Markup in questions, answers and citizens' texts shows as text and never runs.
4-9. Import preview/apply and export; publishing and rollback; an unanswered question
   becoming a similar question and a new entry; the admin's audit log and users; the
   manager's read-only view; the phone layout.
Screenshots of each view go to test-artifacts/screenshots/console_*.png.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
PASSWORD = "e2e-console-pass"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
PUBLISH_MS = 120_000  # the background build: ~190 entries, e5 embeds only the new rows
START_TIMEOUT_S = 420.0  # rasa and the e5 model loading on 2 shared cores
TURN_S = 90.0  # a real turn: rasa NLU, the action server, e5 on a busy machine
XSS = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">'

NEW_QUESTION = "居民身份证丢失了在外地如何挂失补领？"
NEW_SIMILAR = "在外地身份证丢了怎么补"
NEW_ANSWER = ("在外地丢失身份证的，可就近到当地任一公安机关受理点申请补领，"
              "无需回户籍地（控制台测试条目）。")


def _need(condition: bool, reason: str) -> None:
    if not condition:
        pytest.skip(reason)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console_{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need(Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium")
    pytest.importorskip("playwright.sync_api", reason="playwright missing (requirements/app.txt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Site:
    url: str
    settings: Settings
    store: Any  # bot.store.sql.SqlStore
    console: Any  # bot.console.context.Console
    degraded: bool  # True: no rasa, the FAQ engine answers the chat directly
    name: str

    def chat(self, text: str) -> dict[str, Any]:
        import httpx

        response = httpx.post(f"{self.url}/api/chat", json={"text": text}, timeout=TURN_S)
        assert response.status_code == 200, response.text
        return dict(response.json())


def _first_index(settings: Settings, engine: Any) -> None:
    """The fake embedder's first version, with thresholds fixed by hand (an exact question
    scores 1.0): it is not calibrated, so build_version would answer nothing."""
    from bot.engine.builder import build_version
    from bot.engine.types import Thresholds
    from bot.index.versions import IndexStore
    from bot.kb.loader import load_kb

    build_version(load_kb(settings.kb_dir), engine.embedder, IndexStore(settings.index_dir),
                  tokenizer=engine.tokenizer, answer_weight=settings.answer_weight,
                  thresholds=Thresholds(answer=0.8, margin=0.02, clarify=0.5,
                                        calibrated_on="e2e"),
                  note="e2e 初始版本")


def _gateway(settings: Settings, rasa: Any) -> tuple[Any, Any, Any]:
    from bot.console.api import install_console
    from bot.console.config import ConsoleSettings
    from bot.engine.service import FaqService
    from bot.gateway.app import create_app
    from bot.gateway.conversation import ConversationService
    from bot.store.sql import SqlStore
    from bot.web.console_pages import console_pages_router

    engine = FaqService.from_settings(settings)
    if not (settings.index_dir / "CURRENT").exists():
        _first_index(settings, engine)
    engine.load()
    store = SqlStore.from_settings(settings)
    conversation = ConversationService(rasa, engine, store, settings.max_message_chars)
    app = create_app(settings, conversation, store, engine, rasa)
    console = install_console(app, settings, store, engine, console_settings=ConsoleSettings())
    app.include_router(console_pages_router(app))
    return app, store, console


@contextmanager
def _serving(settings: Settings, rasa: Any, name: str) -> Iterator[Site]:
    from tests.unit.gateway.gateway_fakes import serve_app

    app, store, console = _gateway(settings, rasa)
    users = console.auth.users
    users.create("editor1", "editor", PASSWORD, "编辑小王")
    users.create("reviewer1", "reviewer", PASSWORD, "审核员老李")
    users.create("admin1", "admin", PASSWORD, "管理员")
    users.create("manager1", "manager", PASSWORD, "科长")
    try:
        with serve_app(app) as port:  # stopped before the console and the store close
            yield Site(f"http://127.0.0.1:{port}", settings, store, console, rasa is None, name)
    finally:
        console.close()
        store.close()


@pytest.fixture
def site(tmp_path: Path, browser: Any) -> Iterator[Site]:
    settings = Settings(kb_dir=PROJECT_ROOT / "knowledge_base", build_dir=tmp_path / "build",
                        data_dir=tmp_path / "var", embedder="fake", answer_weight=0.0,
                        lexical_weight=0.0)
    with _serving(settings, None, "degraded") as served:
        yield served


def _stack_missing(built: Settings) -> str | None:
    needs = {
        "the rasa environment (.venv-rasa)": PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa",
        "a trained rasa model (`bot build rasa`)": built.rasa_model_dir / "hotline.tar.gz",
        "the FAQ index (`bot build index`)": built.index_dir / "CURRENT",
        "the e5 model (`make install`)": built.e5_model_dir,
    }
    absent = [what for what, path in needs.items() if not path.exists()]
    return f"the real stack cannot start without {', '.join(absent)}" if absent else None


def _private_build_dir(built: Settings, build_dir: Path) -> None:
    """Models and the rasa model linked, the serving index version copied: publishing here
    writes new versions and moves CURRENT in `build_dir` only."""
    build_dir.mkdir()
    (build_dir / "models").symlink_to(built.build_dir / "models")
    (build_dir / "rasa").symlink_to(built.rasa_model_dir)
    current = (built.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    (build_dir / "index").mkdir()
    shutil.copytree(built.index_dir / current, build_dir / "index" / current)
    (build_dir / "index" / "CURRENT").write_text(current, encoding="utf-8")


@pytest.fixture
def stack_site(tmp_path: Path, browser: Any) -> Iterator[Site]:
    from bot.gateway.rasa_client import RasaClient
    from bot.serve.supervisor import Supervisor
    from tests.unit.gateway.gateway_fakes import free_port

    built = Settings(embedder="e5")
    missing = _stack_missing(built)
    if missing:
        pytest.skip(missing)
    _private_build_dir(built, tmp_path / "build")
    settings = Settings(kb_dir=PROJECT_ROOT / "knowledge_base", build_dir=tmp_path / "build",
                        data_dir=tmp_path / "var", embedder="e5",
                        rasa_url=f"http://127.0.0.1:{free_port()}", actions_port=free_port())
    # rasa and the action server as `bot serve` runs them; the gateway here, with the console.
    supervisor = Supervisor(settings, parts=("actions", "rasa"))
    supervisor.start(timeout_s=START_TIMEOUT_S)
    try:
        with _serving(settings, RasaClient(settings.rasa_url, TURN_S), "stack") as served:
            yield served
    finally:
        supervisor.stop()


@pytest.fixture(params=["degraded", "stack"])
def any_site(request: pytest.FixtureRequest) -> Site:
    return request.getfixturevalue("site" if request.param == "degraded" else "stack_site")


class Errors(list[str]):
    """Uncaught page errors: every test ends by checking there were none."""


def _open(browser: Any, site: Site, viewport: dict[str, int] = DESKTOP) -> tuple[Any, Errors]:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    errors = Errors()
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{site.url}/console")
    page.wait_for_selector("#login-form")
    return page, errors


def _sign_in(browser: Any, site: Site, username: str,
             viewport: dict[str, int] = DESKTOP) -> tuple[Any, Errors]:
    page, errors = _open(browser, site, viewport)
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("table.entries")
    return page, errors


def _fetch(page: Any, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """A call from inside the signed-in page (its cookie): {"status", "body"}."""
    return dict(page.evaluate(
        """async ([method, path, body]) => {
            const init = { method, headers: { "Content-Type": "application/json" } };
            if (body !== null) init.body = JSON.stringify(body);
            const r = await fetch(path, init);
            return { status: r.status, body: await r.json() };
        }""",
        [method, path, body],
    ))


def _new_entry(page: Any, **fields: Any) -> dict[str, Any]:
    body = {"category": "身份证", "department": "海川市公安局", "similar_questions": [], **fields}
    created = _fetch(page, "POST", "/api/console/entries", body)
    assert created["status"] == 201, created
    return dict(created["body"]["entry"])


def _wait_published(site: Site, faq_id: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if site.console.engine.entry(faq_id) is not None:
            return
        time.sleep(0.2)
    raise AssertionError(f"{faq_id} never reached the serving index")


# -- 1. editor adds, reviewer publishes, the bot answers ---------------------------------

def test_an_editor_adds_an_entry_a_reviewer_publishes_it_and_the_chat_answers_it(
    any_site: Site, browser: Any,
) -> None:
    site = any_site
    page, errors = _open(browser, site)
    _shot(page, f"login_{site.name}")
    page.fill("#login-username", "editor1")
    page.fill("#login-password", "wrong-password")
    page.click("#login-submit")
    page.wait_for_function("() => document.getElementById('login-error').textContent !== ''")
    assert page.text_content("#login-error") == "用户名或密码错误"
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("table.entries")
    assert "编辑小王" in page.text_content("#who")
    _shot(page, f"entries_{site.name}")

    page.click("#new-entry")
    page.wait_for_selector("#f-question")
    page.fill("#f-question", NEW_QUESTION)
    page.fill("#similar-new", NEW_SIMILAR)
    page.press("#similar-new", "Enter")
    page.fill("#f-answer", NEW_ANSWER)
    page.fill("#f-category", "身份证")
    page.fill("#f-department", "海川市公安局")
    # The check runs by itself once the editor stops typing.
    page.wait_for_selector('#near-duplicates li[data-faq-id="SFZ002"]', timeout=30_000)
    # Citizens asking the new question get SFZ002 today: the draft would take them over.
    stolen = page.locator('#steals li[data-faq-id="SFZ002"]').all_inner_texts()
    assert any(f"市民问「{NEW_QUESTION}」" in text for text in stolen), stolen
    page.fill("#try-text", NEW_QUESTION)
    page.click("#try-run")
    page.wait_for_selector("#try-decision", timeout=30_000)
    tried = page.evaluate("() => window.consoleState.tryResult")
    assert tried["decision"] == "answer" and tried["candidates"][0]["draft"] is True
    assert page.text_content("#try-answer") == NEW_ANSWER
    assert page.get_attribute("#try-decision", "data-decision") == "answer"
    _shot(page, f"editor_new_with_check_and_try_{site.name}")

    page.click("#save")  # near duplicates: the first click asks to confirm
    page.wait_for_selector("#save-warning")
    assert page.text_content("#save") == "仍然保存"
    page.click("#save")
    page.wait_for_function(
        "() => /FAQ-\\d+/.test(document.getElementById('editor-title').textContent)")
    faq_id = re.search(r"FAQ-\d+", page.text_content("#editor-title")).group(0)  # type: ignore[union-attr]
    page.click("#submit")
    page.wait_for_selector('#editor-title ~ .badge[data-status="in_review"]')
    assert page.locator("#approve").count() == 0
    stored = site.console.entries.query.get(faq_id)
    assert stored.status == "in_review" and stored.entry.similar_questions == (NEW_SIMILAR,)
    # Not live before review: the bot still answers from the old version.
    assert site.chat(NEW_QUESTION)["faq_id"] != faq_id

    reviewer, reviewer_errors = _sign_in(browser, site, "reviewer1")
    reviewer.select_option("#filter-status", "in_review")
    reviewer.wait_for_selector(f'table.entries td:text-is("{faq_id}")')
    reviewer.click(f'table.entries td:text-is("{faq_id}")')
    reviewer.wait_for_selector("#approve")
    assert reviewer.locator("#reject").count() == 1
    _shot(reviewer, f"editor_review_{site.name}")
    reviewer.click("#approve")
    reviewer.wait_for_selector('.job[data-state="done"]', timeout=PUBLISH_MS)
    reviewer.wait_for_selector('#editor-title ~ .badge.serving')  # "线上生效" once live
    _shot(reviewer, f"editor_published_{site.name}")
    job = reviewer.evaluate("() => window.consoleState.job")
    assert job["state"] == "done" and job["error"] is None

    _wait_published(site, faq_id)
    reply = site.chat(NEW_QUESTION)
    assert reply["decision"] == "answer" and reply["faq_id"] == faq_id, reply
    assert NEW_ANSWER in json.dumps(reply["messages"], ensure_ascii=False)
    assert reply["degraded"] is site.degraded  # the stack: rasa and the action server answered

    reviewer.click('#nav a[data-view="publish"]')
    reviewer.wait_for_selector("#current-version strong")
    assert reviewer.text_content("#current-version strong") == job["version"]
    _shot(reviewer, f"publish_{site.name}")
    assert errors == [] and reviewer_errors == []


# -- 2. the editor cannot approve --------------------------------------------------------

def test_an_editor_sees_no_approve_button_and_a_direct_approve_call_gets_403(
    site: Site, browser: Any,
) -> None:
    page, errors = _sign_in(browser, site, "editor1")
    entry = _new_entry(page, question="新生儿办理身份证需要什么材料？",
                       answer="携带出生医学证明和户口簿到派出所办理。")
    submitted = _fetch(page, "POST", f"/api/console/entries/{entry['faq_id']}/submit", {})
    assert submitted["status"] == 200 and submitted["body"]["entry"]["status"] == "in_review"

    page.goto(f"{site.url}/console#/entry/{entry['faq_id']}")
    page.wait_for_selector('#editor-title ~ .badge[data-status="in_review"]')
    page.wait_for_selector("#workflow button")
    buttons = page.locator("#workflow button").all_inner_texts()
    assert "通过并发布" not in buttons and "退回" not in buttons and "下线" not in buttons
    assert page.locator("#approve, #reject, #retire, #review-comment:visible").count() == 0
    assert "等待审核员处理" in page.text_content("#workflow")
    _shot(page, "editor_as_editor_in_review")

    page.goto(f"{site.url}/console#/entry/SFZ002")  # published: no 下线 for an editor either
    page.wait_for_selector('#editor-title ~ .badge[data-status="published"]')
    assert page.locator("#retire").count() == 0
    menu = page.locator("#nav a").all_inner_texts()
    assert "用户管理" not in menu and "操作日志" not in menu and "知识条目" in menu

    approve = _fetch(page, "POST", f"/api/console/entries/{entry['faq_id']}/approve", {})
    assert approve["status"] == 403
    assert approve["body"]["error"]["code"] == "forbidden"
    assert "权限" in approve["body"]["error"]["message"]
    publish = _fetch(page, "POST", "/api/console/publish", {})
    assert publish["status"] == 403 and publish["body"]["error"]["code"] == "forbidden"
    assert site.console.entries.query.get(entry["faq_id"]).status == "in_review"
    assert errors == []


# -- 3. markup shows as text -------------------------------------------------------------

def test_markup_in_entries_and_citizens_questions_shows_as_text_and_never_runs(
    site: Site, browser: Any,
) -> None:
    page, errors = _sign_in(browser, site, "editor1")
    question = '身份证<img src="x" onerror="window.__xss = 3">测试'
    entry = _new_entry(page, question=question, answer=XSS,
                       similar_questions=["<b>加粗</b>的问法"])
    handed_over = site.chat('<img src="y" onerror="window.__xss = 4">路灯坏了没人修')
    assert handed_over["decision"] != "answer"

    page.goto(f"{site.url}/console#/entries?q=测试")
    page.wait_for_selector(f'table.entries td:text-is("{entry["faq_id"]}")')
    assert question in page.locator("table.entries").inner_text()
    page.goto(f"{site.url}/console#/entry/{entry['faq_id']}")
    page.wait_for_selector("#f-answer")
    assert page.input_value("#f-answer") == XSS
    assert page.input_value("#similar-list input") == "<b>加粗</b>的问法"
    page.fill("#try-text", question)
    page.click("#try-run")
    page.wait_for_selector("#try-answer")
    assert page.text_content("#try-answer") == XSS
    assert question in page.locator("#try-result table").inner_text()
    _shot(page, "xss_editor")
    assert page.locator("#view img, #view script, #view b").count() == 0

    page.goto(f"{site.url}/console#/unanswered")
    page.wait_for_selector("#unanswered-groups")
    assert "路灯坏了没人修" in page.text_content("#unanswered-groups")
    assert '<img src="y"' in page.text_content("#unanswered-groups")
    assert page.locator("#view img").count() == 0
    _shot(page, "xss_unanswered")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert errors == []


# -- errors the pages show ---------------------------------------------------------------

def test_a_stale_save_shows_the_servers_conflict_message_and_reloads(
    site: Site, browser: Any,
) -> None:
    page, errors = _sign_in(browser, site, "editor1")
    page.goto(f"{site.url}/console#/entry/SFZ003")
    page.wait_for_selector("#near-duplicates, #check-clear")
    other, _ = _sign_in(browser, site, "reviewer1")  # meanwhile, someone else saves it
    current = _fetch(other, "GET", "/api/console/entries/SFZ003")["body"]["entry"]
    changed = _fetch(other, "PUT", "/api/console/entries/SFZ003",
                     {**current, "answer": "审核员改过的答案。"})
    assert changed["status"] == 200
    page.fill("#f-answer", "编辑改的答案。")
    page.click("#save")
    page.wait_for_selector("#save-warning")  # SFZ003 has near duplicates: confirm first
    page.click("#save")
    page.wait_for_selector("#form-error .banner.error")
    shown = page.text_content("#form-error .banner.error")
    assert "已被 reviewer1 修改" in shown and "请刷新" in shown, shown
    _shot(page, "editor_conflict")
    page.click("#form-error button")
    page.wait_for_function(
        "() => document.getElementById('f-answer')?.value === '审核员改过的答案。'")
    assert errors == []


def test_an_expired_session_returns_to_the_login_view_and_back(site: Site, browser: Any) -> None:
    page, errors = _sign_in(browser, site, "editor1")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "bot_console")
    site.console.auth.logout(token)  # as the idle timeout would: the server forgets it
    page.click('#nav a[data-view="unanswered"]')
    page.wait_for_selector("#login-form")
    assert "登录状态已失效，请重新登录" in page.text_content("#login-form")
    assert page.locator("#nav").is_hidden()
    page.fill("#login-username", "editor1")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#unanswered-method")  # back where the editor was going
    assert errors == []


# -- 4. import and export ----------------------------------------------------------------

def _import_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["faq_id", "category", "question", "similar_questions", "answer",
                     "department", "valid_from", "valid_to"])
    writer.writerow(["IMP001", "身份证", "港澳通行证签注怎么续签？", "签注到期了怎么办",
                     "可在自助签注机或出入境窗口办理续签。", "海川市公安局", "", ""])
    writer.writerow(["IMP002", "身份证", "这一行没有答案", "", "", "海川市公安局", "", ""])
    return out.getvalue().encode("gbk")  # the editors' spreadsheets are often GBK


def test_an_editor_previews_an_import_with_a_rejected_row_applies_it_and_exports(
    site: Site, browser: Any, tmp_path: Path,
) -> None:
    page, errors = _sign_in(browser, site, "editor1")
    page.click('#nav a[data-view="import"]')
    page.wait_for_selector("#import-file")
    page.set_input_files("#import-file", files=[
        {"name": "新条目.csv", "mimeType": "text/csv", "buffer": _import_csv()}])
    page.click("#import-preview-run")
    page.wait_for_selector("#import-preview")
    assert "IMP001" in page.text_content("table.import-added")
    rejected = page.locator("table.import-rejected tbody tr").all_inner_texts()
    assert len(rejected) == 1 and "3" in rejected[0], rejected  # data row 2 = spreadsheet row 3
    assert site.console.entries.query.get("IMP001") is None  # a preview writes nothing
    _shot(page, "import_preview")
    page.click("#import-apply")
    page.wait_for_selector("#import-done")
    assert site.console.entries.query.get("IMP001").status == "draft"

    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    exported = saved.read_bytes().decode("utf-8-sig")
    assert "SFZ002" in exported and "IMP001" not in exported  # published only, by default
    _shot(page, "import_done")
    assert errors == []


# -- 5. publishing and rollback ----------------------------------------------------------

def test_a_reviewer_publishes_follows_the_job_and_rolls_back(site: Site, browser: Any) -> None:
    page, errors = _sign_in(browser, site, "reviewer1")
    before = site.console.versions.list()["current"]
    page.click('#nav a[data-view="publish"]')
    page.wait_for_selector("#publish-now")
    page.click("#publish-now")
    page.wait_for_selector('.job[data-state="done"]', timeout=PUBLISH_MS)
    page.wait_for_function(
        f"() => document.getElementById('current-version').textContent.indexOf('{before}') < 0")
    after = site.console.versions.list()["current"]
    assert after != before
    _shot(page, "publish_done")
    page.click(f'button[data-version="{before}"]')
    page.click('dialog.confirm button[data-answer="ok"]')
    page.wait_for_function(
        f"() => document.getElementById('current-version').textContent.includes('{before}')")
    assert site.console.versions.list()["current"] == before
    _shot(page, "publish_rolled_back")
    assert errors == []


# -- 6. unanswered questions -------------------------------------------------------------

def test_an_unanswered_question_opens_the_editor_prefilled_and_becomes_a_similar_question(
    site: Site, browser: Any,
) -> None:
    asked = "我家楼下的路灯坏了三天没人修怎么办"
    assert site.chat(asked)["decision"] != "answer"
    page, errors = _sign_in(browser, site, "editor1")
    page.click('#nav a[data-view="unanswered"]')
    page.wait_for_selector("#unanswered-groups .group")
    _shot(page, "unanswered")
    group = page.locator("#unanswered-groups .group", has_text=asked).first
    group.locator(".add-similar-open").click()
    group.locator(".add-target").fill("SFZ002")
    group.locator(".add-similar button[type=submit]").click()
    group.locator(".banner.ok").wait_for()
    assert asked in site.console.entries.query.get("SFZ002").entry.similar_questions
    group.locator(".new-entry-open").click()
    page.wait_for_selector("#f-question")
    assert page.input_value("#f-question") == asked
    assert page.text_content("#editor-title") == "新建条目"
    _shot(page, "editor_prefilled_from_unanswered")
    assert errors == []


# -- 7. admin views, the manager, the phone ----------------------------------------------

def test_an_admin_sees_the_audit_log_and_manages_users(site: Site, browser: Any) -> None:
    editor, _ = _sign_in(browser, site, "editor1")
    entry = _new_entry(editor, question="审计测试问题？", answer="审计测试答案。")
    page, errors = _sign_in(browser, site, "admin1")
    page.click('#nav a[data-view="audit"]')
    page.wait_for_selector("table.audit")
    log = page.text_content("table.audit")
    assert f"entry:{entry['faq_id']}" in log and "editor1" in log and "新建" in log
    _shot(page, "audit")
    page.click('#nav a[data-view="users"]')
    page.wait_for_selector("table.users")
    assert "editor1" in page.text_content("table.users")
    page.fill("#new-username", "editor2")
    page.fill("#new-display", "新编辑")
    page.fill("#new-password", "another-pass-1")
    page.select_option("#new-role", "editor")
    page.click("#user-create button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('table.users').textContent.includes('editor2')")
    assert site.console.auth.users.get("editor2").user.role == "editor"
    _shot(page, "users")
    assert errors == []


def test_a_manager_reads_entries_but_cannot_edit(site: Site, browser: Any) -> None:
    page, errors = _sign_in(browser, site, "manager1")
    assert page.locator("#new-entry").count() == 0
    page.goto(f"{site.url}/console#/entry/SFZ002")
    page.wait_for_selector("#f-question")
    assert page.is_disabled("#f-question") and page.locator("#save").count() == 0
    assert errors == []


def _too_wide(page: Any) -> list[str]:
    """Elements reaching past the screen's right edge, when the page scrolls sideways."""
    return list(page.evaluate(
        """(width) => document.documentElement.scrollWidth <= width ? [] :
            [...document.querySelectorAll("body *")]
              .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest("nav"))
              .slice(0, 8)
              .map((e) => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)""",
        PHONE["width"],
    ))


def test_the_console_fits_a_phone_screen(site: Site, browser: Any) -> None:
    page, errors = _sign_in(browser, site, "editor1", PHONE)
    _shot(page, "phone_entries")
    assert _too_wide(page) == []
    page.goto(f"{site.url}/console#/entry/SFZ002")
    page.wait_for_selector("#near-duplicates, #check-clear")
    page.fill("#try-text", "身份证丢了怎么办")
    page.click("#try-run")
    page.wait_for_selector("#try-decision")
    assert _too_wide(page) == []
    _shot(page, "phone_editor")
    assert errors == []
