"""The lazy services, and what rasa-sdk finds when it imports the actions package."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions import services

ROOT = Path(__file__).resolve().parents[3]
OUR_ACTIONS = {
    "action_answer_faq",
    "action_choose_option",
    "action_feedback_helped",
    "action_feedback_not_helped",
    "action_handover",
    "action_fallback",
    "action_submit_work_order",
    "validate_work_order_form",
}


def test_the_package_registers_every_contract_action() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == OUR_ACTIONS | {"action_warm_up"}


def test_domain_custom_actions_are_all_served() -> None:
    domain_file = ROOT / "domain.yml"
    if not domain_file.is_file():
        pytest.skip("domain.yml not written yet")
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    assert set(domain["actions"]) == OUR_ACTIONS


def test_importing_the_actions_loads_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from rasa_sdk.executor import ActionExecutor\n"
        "ActionExecutor().register_package('actions')\n"
        "heavy = ['torch', 'faiss', 'sentence_transformers', 'sqlalchemy', 'jieba',"
        " 'bot.engine.service', 'bot.store.sql']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


class _FakeService:
    built = 0
    fail_next = False

    def __init__(self, settings) -> None:
        self.settings = settings
        self.loaded = False

    @classmethod
    def from_settings(cls, settings):
        cls.built += 1
        return cls(settings)

    def load(self):
        if _FakeService.fail_next:
            _FakeService.fail_next = False
            raise RuntimeError("no FAQ index")
        self.loaded = True
        return self


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch) -> type[_FakeService]:
    module = types.ModuleType("bot.engine.service")
    module.FaqService = _FakeService  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.engine.service", module)
    _FakeService.built = 0
    _FakeService.fail_next = False
    return _FakeService


def test_engine_is_built_and_loaded_once(fake_service) -> None:
    first = services.get_engine()
    assert first.loaded  # type: ignore[attr-defined]
    assert services.get_engine() is first
    assert fake_service.built == 1


def test_engine_that_failed_to_load_is_retried(fake_service) -> None:
    fake_service.fail_next = True
    with pytest.raises(RuntimeError):
        services.get_engine()
    assert services.get_engine().loaded  # type: ignore[attr-defined]


def test_store_is_built_once_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []

    class FakeSqlStore:
        @classmethod
        def from_settings(cls, settings):
            made.append(settings)
            return cls()

    module = types.ModuleType("bot.store.sql")
    module.SqlStore = FakeSqlStore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.store.sql", module)
    assert services.get_store() is services.get_store()
    assert len(made) == 1
    assert made[0] is services.get_settings()
