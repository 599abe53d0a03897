"""Fixtures for the action tests (the fakes live in action_fakes.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.settings import Settings
from tests.unit.actions.action_fakes import FakeEngine, FakeStore


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def settings() -> Settings:
    return Settings(max_message_chars=2000)


@pytest.fixture
def build(engine: FakeEngine, store: FakeStore, settings: Settings) -> Callable[[type], Any]:
    """Instantiate an action class with the fakes."""

    def factory(cls: type) -> Any:
        return cls(engine=engine, store=store, settings=settings)

    return factory


@pytest.fixture(autouse=True)
def _fresh_services() -> Any:
    """No test leaks a lazily built engine or store into the next one."""
    from actions import services

    services.reset()
    yield
    services.reset()
