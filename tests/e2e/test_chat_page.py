"""The citizen chat page in real headless Chromium against the real stack: the rasa server,
the action server and the gateway started by the Supervisor (as `bot serve` runs them),
once for this module, sharing one SQLite store. A citizen on a phone screen asks a vague
question, picks a numbered choice and says the answer helped; another asks for a human with
the 转人工 button. Checked on the page and in the store's session outcome. The socket's
resilience, the widget and safe rendering: test_chat_resilience.py. Screenshots of each
state go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT, Settings
from bot.store.sql import SqlStore
from tests.e2e.chat_support import PHONE, Served, ask, chromium, connected, next_reply, shot

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 420.0  # rasa and the e5 model loading on 2 shared cores
TURN_MS = 90_000  # a real turn: rasa NLU, the action server, e5 on a busy machine
TRANSFERRING = "正在为您转接人工客服，请稍候。"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


# -- 1. the real stack ------------------------------------------------------------------

@dataclass
class Stack:
    settings: Settings
    url: str


def _stack_missing(settings: Settings) -> str | None:
    needs = {
        "the rasa environment (.venv-rasa)": PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa",
        "a trained rasa model (`bot build rasa`)": settings.rasa_model_dir / "hotline.tar.gz",
        "the FAQ index (`bot build index`)": settings.index_dir / "CURRENT",
        "the e5 model (`make install`)": settings.e5_model_dir,
    }
    absent = [what for what, path in needs.items() if not path.exists()]
    return f"the stack cannot start without {', '.join(absent)}" if absent else None


def _in_process_gateway(settings: Settings) -> Any:
    """The gateway as bot.gateway.factory builds it (FAQ service, store, rasa client, one
    ConversationService) plus the chat socket and page: for as long as the factory does
    not include them itself."""
    from bot.engine.service import FaqService
    from bot.gateway.app import create_app
    from bot.gateway.chat_ws import chat_router
    from bot.gateway.conversation import ConversationService
    from bot.gateway.rasa_client import RasaClient
    from bot.web.chat_pages import install_chat_pages

    engine = FaqService.from_settings(settings).load()
    store = SqlStore.from_settings(settings)
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_s)
    conversation = ConversationService(rasa, engine, store, settings.max_message_chars)
    app = create_app(settings, conversation, store, engine, rasa)
    app.include_router(chat_router(conversation))
    install_chat_pages(app)
    return app


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Stack]:
    import httpx

    from tests.unit.gateway.gateway_fakes import free_port

    environ = {
        "BOT_DATA_DIR": str(tmp_path_factory.mktemp("chat-stack")),
        "BOT_GATEWAY_PORT": str(free_port()),
        "BOT_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "BOT_ACTIONS_PORT": str(free_port()),
        "BOT_EMBEDDER": "e5",
    }
    settings = Settings.load(environ=environ, dotenv=None)
    missing = _stack_missing(settings)
    if missing:
        pytest.skip(missing)
    from bot.serve.supervisor import Supervisor

    # The three processes `bot serve` runs, started once for the module.
    supervisor = Supervisor(settings)
    supervisor.start(timeout_s=START_TIMEOUT_S)
    try:
        url = f"http://{settings.gateway_host}:{settings.gateway_port}"
        if httpx.get(f"{url}/chat", timeout=10).status_code == 200:
            yield Stack(settings, url)
        else:  # the factory does not serve the chat yet: the same gateway, in this process
            with Served(_in_process_gateway(settings)) as served:
                yield Stack(settings, served.url)
    finally:
        supervisor.stop()


def _answer_of(settings: Settings, faq_id: str) -> str:
    from bot.kb.loader import load_kb

    entry = load_kb(settings.kb_dir).get(faq_id)
    assert entry is not None, f"{faq_id} is not in the knowledge base"
    return entry.answer


def test_a_citizen_on_a_phone_picks_a_choice_and_says_it_helped(
    stack: Stack, browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{stack.url}/chat")
        connected(page)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.is_visible("#human")
        clarify = ask(page, "身份证的事", 0, TURN_MS)
        assert clarify["decision"] == "clarify" and clarify["via"] == "ws"
        choices = page.locator(".msg.bot .buttons.choices button:enabled")
        assert choices.count() >= 2
        assert choices.first.get_attribute("data-payload") == "第1个"
        shot(page, "1_clarify")
        choices.first.click()
        answer = next_reply(page, 1, TURN_MS)
        assert answer["decision"] == "answer" and answer["faq_id"]
        assert page.locator(".msg.bot", has_text=_answer_of(stack.settings, answer["faq_id"])[:30]
                            ).count() == 1
        assert page.locator(".msg.bot .buttons.choices button:enabled").count() == 0  # used up
        shot(page, "2_answer")
        page.locator(".buttons.feedback button", has_text="有帮助").click()
        helped = next_reply(page, 2, TURN_MS)
        shot(page, "3_helped")
        sid = page.evaluate("() => window.chatState.sessionId")
        assert page.locator(".msg.user").all_inner_texts()[0] == "身份证的事"
    finally:
        context.close()
    assert helped["outcome"] == "deflected"
    with SqlStore(stack.settings.resolved_database_url) as store:
        session = store.get_session(sid)
        turns = store.get_turns(sid)
    assert session is not None
    assert (session.outcome.value if session.outcome else None, session.confirmed,
            session.faq_id) == ("deflected", True, answer["faq_id"])
    assert [t.text for t in turns] == ["身份证的事", "第1个", "/affirm"]
    assert [t.channel.value for t in turns] == ["chat"] * 3


def test_the_human_button_hands_the_citizen_over(stack: Stack, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{stack.url}/chat")
        connected(page)
        ask(page, "社保卡丢了怎么补办", 0, TURN_MS)
        page.click("#human")
        handed = next_reply(page, 1, TURN_MS)
        page.wait_for_selector(".msg.system.transfer")
        shot(page, "4_transferred")
        sid = page.evaluate("() => window.chatState.sessionId")
        shown = page.locator(".msg.system.transfer").inner_text()
    finally:
        context.close()
    assert handed["outcome"] == "transferred" and handed["decision"] == "handover"
    assert TRANSFERRING in shown
    with SqlStore(stack.settings.resolved_database_url) as store:
        session = store.get_session(sid)
    assert session is not None and session.outcome is not None
    assert (session.outcome.value, session.reason.value if session.reason else None) == (
        "transferred", "citizen_request")
    assert session.handover_summary and session.handover_summary["question"] == "社保卡丢了怎么补办"
