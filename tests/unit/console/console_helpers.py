"""Building a console for tests: a small bundled KB, a real FaqService over a fake-embedder
index, the real gateway app and SqlStore, a clock the test moves, and signed-in clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bot.console.api import install_console
from bot.console.config import ConsoleSettings
from bot.console.context import Console
from bot.embed.base import Embedder, FakeEmbedder
from bot.engine.builder import build_version
from bot.engine.service import FaqService
from bot.engine.types import Thresholds
from bot.gateway.app import create_app
from bot.gateway.conversation import ConversationService
from bot.index.versions import IndexStore
from bot.kb.export import export_kb
from bot.kb.model import KnowledgeBase
from bot.settings import Settings
from tests.support.kb import entry

START = datetime(2026, 6, 1, 9, 0, 0)
PASSWORD = "correct-horse-9"
ROLES = ("editor", "reviewer", "manager", "admin")
# Chosen on the fake embedder's scores for the KB below: "社保卡丢了怎么办" is answered,
# "公积金怎么提取" is a choice between the two GJJ entries, "护照怎么办" is handed over.
# A valid new entry as the console page sends it.
NEW = {
    "category": "交通",
    "question": "电动自行车怎么上牌照",
    "similar_questions": ["电动车上牌去哪里", "电瓶车怎么挂牌"],
    "answer": "携带购车发票、合格证和身份证到车管所办理电动自行车登记。",
    "department": "公安局交警支队",
}
THRESHOLDS = Thresholds(answer=0.8, margin=0.03, clarify=0.6, calibrated_on="test")


def small_kb() -> KnowledgeBase:
    return KnowledgeBase.of([
        entry("SB001", "社保卡丢了怎么补办", "社保卡遗失补卡", "社保卡不见了"),
        entry("SB002", "社保卡怎么激活", "新社保卡激活", "社保卡启用"),
        entry("GJJ001", "租房怎么提取公积金", "租房提取公积金", "公积金付房租",
              category="公积金", department="公积金中心"),
        entry("GJJ002", "买房怎么提取公积金", "购房提取公积金", "买房用公积金",
              category="公积金", department="公积金中心"),
        entry("SFZ001", "身份证到期怎么换领", "身份证过期换证", "身份证到期了",
              category="户政", department="公安局", valid_to=date(2026, 6, 20)),
    ])


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ConsoleRig:
    settings: Settings
    store: Any
    engine: FaqService
    console: Console
    clock: FakeClock
    app: Any
    clients: list[TestClient] = field(default_factory=list)

    def client(self) -> TestClient:
        c = TestClient(self.app, raise_server_exceptions=False)
        self.clients.append(c)
        return c

    def signed_in(self, username: str, password: str = PASSWORD) -> TestClient:
        c = self.client()
        r = c.post("/api/console/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return c

    def publish_now(self) -> bool:
        return self.console.publisher.run_pending()

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.console.close()


def write_bundled_kb(kb_dir: Path, kb: KnowledgeBase) -> None:
    (kb_dir / "faq").mkdir(parents=True, exist_ok=True)
    export_kb(kb, kb_dir / "faq" / "test.csv")


def build_rig(tmp_path: Path, store: Any, *, embedder: Embedder | None = None,
              start_worker: bool = False, kb: KnowledgeBase | None = None,
              console_settings: ConsoleSettings | None = None) -> ConsoleRig:
    kb = kb or small_kb()
    settings = Settings(kb_dir=tmp_path / "kb", build_dir=tmp_path / "build",
                        data_dir=tmp_path / "data", embedder="fake", actions_port=1)
    write_bundled_kb(settings.kb_dir, kb)
    fake = FakeEmbedder()
    build_version(kb, fake, IndexStore(settings.index_dir), thresholds=THRESHOLDS,
                  answer_weight=settings.answer_weight, note="install")
    engine = FaqService(IndexStore(settings.index_dir), fake, None, settings).load()
    app = create_app(settings, ConversationService(None, engine, store, 2000), store, engine,
                     None)
    clock = FakeClock()
    console = install_console(
        app, settings, store, engine, clock=clock, embedder=embedder,
        start_worker=start_worker, console_settings=console_settings or ConsoleSettings(),
    )
    for role in ROLES:
        console.auth.users.create(role, role, PASSWORD, f"测试{role}")
    return ConsoleRig(settings, store, engine, console, clock, app)


def error_of(response: Any) -> dict[str, Any]:
    """The one JSON error shape, checked, and its inner object."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    assert body["error"]["message"].strip()
    return body["error"]  # type: ignore[no-any-return]
