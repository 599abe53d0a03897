"""Fixtures for the telephony flow tests (telephony_fakes.py holds the fakes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.types import Decision
from tests.unit.gateway.gateway_fakes import FakeEngine, result
from tests.unit.telephony.telephony_fakes import QUESTION, Harness

MakeHarness = Callable[..., Harness]


@pytest.fixture
def faq_engine() -> FakeEngine:
    return FakeEngine({QUESTION: result(QUESTION, Decision.ANSWER, [("SFZ001", 0.93),
                                                                      ("SFZ002", 0.61)])})


@pytest.fixture
def make_harness(tmp_path: Path, faq_engine: FakeEngine) -> Iterator[MakeHarness]:
    made: list[Harness] = []

    def factory(**kw: Any) -> Harness:
        kw.setdefault("engine", faq_engine)
        harness = Harness(tmp_path, **kw)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        harness.close()
