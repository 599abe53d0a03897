"""The real rasa project: data validation, training (cached by the inputs' hash), NLU on
held-out phrasings and the conversation tests. Needs .venv-rasa (`make install`); the first
run trains the model (minutes on 2 cores), later runs reuse it until an input changes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.dialog import rasa_cli
from bot.dialog.nlu_parse import ParseRun, parse_messages
from bot.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HELDOUT = Path(__file__).with_name("heldout_nlu.yml")
STORIES = PROJECT_ROOT / "tests" / "conversations"

if not (PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa").is_file():
    pytest.skip(
        "the rasa environment .venv-rasa is missing; run `make install`", allow_module_level=True
    )


def heldout() -> list[tuple[str, str]]:
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    return [
        (line.strip().removeprefix("- ").strip(), block["intent"])
        for block in data["nlu"]
        for line in block["examples"].splitlines()
        if line.strip()
    ]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.load()


@pytest.fixture(scope="module")
def model(settings: Settings) -> Path:
    return rasa_cli.train(settings)


@pytest.fixture(scope="module")
def parsed(model: Path) -> dict[str, str | None]:
    run: ParseRun = parse_messages([text for text, _ in heldout()], model)
    return {p.text: p.intent for p in run.results}


def test_training_data_validates(settings: Settings) -> None:
    result = rasa_cli.validate_data(settings)
    assert result.ok, result.output[-3000:]


def test_unchanged_inputs_reuse_the_model(settings: Settings, model: Path) -> None:
    before = model.stat().st_mtime_ns
    started = time.perf_counter()
    again = rasa_cli.train(settings)
    assert again == model
    assert model.stat().st_mtime_ns == before
    assert time.perf_counter() - started < 10


def test_heldout_intent_accuracy(parsed: dict[str, str | None]) -> None:
    cases = [(t, g) for t, g in heldout() if g != "nlu_fallback"]
    wrong = [f"{t}: {g} -> {parsed[t]}" for t, g in cases if parsed[t] != g]
    accuracy = 1 - len(wrong) / len(cases)
    assert accuracy >= 0.85, f"accuracy {accuracy:.3f}; wrong: {wrong}"


@pytest.mark.parametrize("intent", ["request_human", "complain", "ask_question", "choose_option"])
def test_heldout_key_intents_mostly_right(parsed: dict[str, str | None], intent: str) -> None:
    cases = [t for t, g in heldout() if g == intent]
    right = [t for t in cases if parsed[t] == intent]
    assert len(right) / len(cases) >= 0.8, [(t, parsed[t]) for t in cases]


WHERE_TO_COMPLAIN = ["老板拖欠工资去哪投诉", "小区噪音扰民应该找哪个部门投诉",
                     "商家不给退款可以去哪里举报"]


def test_asking_where_to_complain_is_a_question_not_a_complaint(
    parsed: dict[str, str | None],
) -> None:
    """"…去哪投诉" asks for the FAQ's answer (JYE008: where to complain about unpaid wages);
    "我要投诉…" and a described grievance open a work order."""
    assert {t: parsed[t] for t in WHERE_TO_COMPLAIN} == dict.fromkeys(WHERE_TO_COMPLAIN,
                                                                      "ask_question")
    assert parsed["我要投诉这个商家"] == "complain"
    assert parsed["包工头欠我两个月工资"] == "complain"


def test_every_conversation_test_passes(settings: Settings, model: Path, tmp_path: Path) -> None:
    summary = rasa_cli.test_stories(settings, model=model, out=tmp_path / "rasa_test")
    assert summary.ok, summary.describe()
    names = {
        story["story"]
        for path in STORIES.glob("*.yml")
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]
    }
    assert set(summary.passed) == names
