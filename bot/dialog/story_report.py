"""Read the output folder of `rasa test core` into a pass/fail summary.

Rasa writes failed_test_stories.yml (and successful_test_stories.yml with --successes): a
story file whose story names carry the source file, "greet (tests/conversations/x.yml)", and
whose wrong steps carry a comment "# predicted: ACTION". When nothing is in a category rasa
writes a single comment line instead of YAML stories.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import BotError

FAILED_FILE = "failed_test_stories.yml"
SUCCESS_FILE = "successful_test_stories.yml"
REPORT_FILE = "story_report.json"

_SOURCE_SUFFIX = re.compile(r"\s+\([^()]*\.ya?ml\)$")
_STORY_LINE = re.compile(r"^\s*-\s*story:\s*(.+?)\s*$")
_PREDICTED = re.compile(r"#\s*predicted:\s*(.+?)\s*$")


class StoryReportError(BotError):
    """The output folder of `rasa test core` is missing or unreadable."""


@dataclass(frozen=True)
class StoryFailure:
    name: str
    # "expected -> predicted" for each wrong step, in story order.
    mismatches: tuple[str, ...]


@dataclass(frozen=True)
class StoryTestSummary:
    passed: tuple[str, ...]
    failed: tuple[StoryFailure, ...]
    action_accuracy: float | None
    out_dir: Path

    @property
    def ok(self) -> bool:
        return not self.failed and bool(self.passed)

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed)

    def describe(self) -> str:
        lines = [f"{len(self.passed)}/{self.total} conversation tests passed"]
        for failure in self.failed:
            lines.append(f"FAILED {failure.name}: " + "; ".join(failure.mismatches))
        return "\n".join(lines)


def _story_name(raw: str) -> str:
    return _SOURCE_SUFFIX.sub("", raw.strip().strip("\"'"))


def _story_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise StoryReportError(f"{path} is not valid YAML ({err}); rerun the story tests") from err
    if not isinstance(data, dict):  # the "nothing here" comment
        return []
    return [_story_name(str(story.get("story", "?"))) for story in data.get("stories") or []]


def _mismatches(path: Path) -> dict[str, tuple[str, ...]]:
    """Wrong steps per failed story, read from the raw text (YAML drops the comments)."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        story = _STORY_LINE.match(line)
        if story:
            current = _story_name(story.group(1))
            found[current] = []
            continue
        predicted = _PREDICTED.search(line)
        if predicted and current is not None:
            expected = line[: predicted.start()].strip().lstrip("-").strip()
            found[current].append(f"{expected} -> predicted {predicted.group(1)}")
    return {name: tuple(items) for name, items in found.items()}


def read_story_report(out_dir: Path) -> StoryTestSummary:
    failed_path, success_path = out_dir / FAILED_FILE, out_dir / SUCCESS_FILE
    if not failed_path.is_file() and not success_path.is_file():
        raise StoryReportError(
            f"no {FAILED_FILE} or {SUCCESS_FILE} in {out_dir}; run `rasa test core "
            "--successes --out` into that folder first"
        )
    wrong = _mismatches(failed_path) if failed_path.is_file() else {}
    failed = tuple(
        StoryFailure(name=name, mismatches=wrong.get(name, ()))
        for name in _story_names(failed_path)
    )
    accuracy: float | None = None
    report = out_dir / REPORT_FILE
    if report.is_file():
        try:
            accuracy = float(json.loads(report.read_text(encoding="utf-8"))["accuracy"])
        except (ValueError, KeyError, TypeError):
            accuracy = None
    return StoryTestSummary(
        passed=tuple(_story_names(success_path)),
        failed=failed,
        action_accuracy=accuracy,
        out_dir=out_dir,
    )
