"""Reading `rasa test core` output folders (formats as rasa 3.6.21 writes them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.dialog.story_report import StoryReportError, read_story_report

# Trimmed from a real run with --successes --e2e.
FAILED = """\
version: "3.1"
stories:
- story: two fallbacks in a row hand over (/work/main/tests/conversations/test_flows.yml)
  steps:
  - intent: nlu_fallback
  - action: action_fallback
  - intent: nlu_fallback  # predicted: choose_option: 就那个嘛
  - action: action_fallback
- story: request a human (tests/conversations/test_flows.yml)
  steps:
  - intent: request_human
  - action: action_handover  # predicted: action_default_fallback
"""
SUCCESS = """\
version: "3.1"
stories:
- story: greet (/work/main/tests/conversations/test_flows.yml)
  steps:
  - intent: greet
  - action: utter_greet
- story: goodbye (/work/main/tests/conversations/test_flows.yml)
  steps:
  - intent: goodbye
  - action: utter_goodbye
"""
NONE_FAILED = "# None of the test stories failed - all good!"
NONE_SUCCEEDED = "# None of the test stories succeeded :("


def write(out: Path, failed: str, success: str, accuracy: float | None = 0.9) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "failed_test_stories.yml").write_text(failed, encoding="utf-8")
    (out / "successful_test_stories.yml").write_text(success, encoding="utf-8")
    if accuracy is not None:
        (out / "story_report.json").write_text(json.dumps({"accuracy": accuracy}))
    return out


def test_all_passed(tmp_path: Path) -> None:
    summary = read_story_report(write(tmp_path, NONE_FAILED, SUCCESS, 1.0))
    assert summary.ok
    assert summary.passed == ("greet", "goodbye")
    assert summary.action_accuracy == 1.0


def test_failures_name_the_wrong_steps(tmp_path: Path) -> None:
    summary = read_story_report(write(tmp_path, FAILED, SUCCESS))
    assert not summary.ok
    assert [f.name for f in summary.failed] == [
        "two fallbacks in a row hand over",
        "request a human",
    ]
    assert summary.failed[0].mismatches == (
        "intent: nlu_fallback -> predicted choose_option: 就那个嘛",
    )
    assert summary.failed[1].mismatches == (
        "action: action_handover -> predicted action_default_fallback",
    )


def test_total_counts_both(tmp_path: Path) -> None:
    assert read_story_report(write(tmp_path, FAILED, SUCCESS)).total == 4


def test_nothing_passed_is_not_ok(tmp_path: Path) -> None:
    summary = read_story_report(write(tmp_path, NONE_FAILED, NONE_SUCCEEDED))
    assert summary.total == 0
    assert not summary.ok


def test_describe_lists_failures(tmp_path: Path) -> None:
    text = read_story_report(write(tmp_path, FAILED, SUCCESS)).describe()
    assert text.splitlines()[0] == "2/4 conversation tests passed"
    assert "FAILED request a human: action: action_handover" in text


def test_missing_report_json_gives_no_accuracy(tmp_path: Path) -> None:
    summary = read_story_report(write(tmp_path, NONE_FAILED, SUCCESS, accuracy=None))
    assert summary.action_accuracy is None


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoryReportError, match="no failed_test_stories.yml"):
        read_story_report(tmp_path)


def test_corrupt_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoryReportError, match="not valid YAML"):
        read_story_report(write(tmp_path, "stories: [unclosed", SUCCESS))
