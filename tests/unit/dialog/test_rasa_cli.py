"""bot.dialog.rasa_cli against a fake project and a fake rasa executable (no rasa runs)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.dialog import rasa_cli
from bot.dialog.rasa_cli import RasaError
from bot.errors import ModelNotBuiltError
from bot.settings import Settings

CONFIG = """\
language: zh
pipeline:
  - name: JiebaTokenizer
    dictionary_path: knowledge_base/dict
  - name: CountVectorsFeaturizer
"""

# Records each call, fails on request, otherwise writes the model where --out says.
FAKE_RASA = """\
#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls.log"
out=""; prev=""
for a in "$@"; do
  if [ "$prev" = "--out" ]; then out="$a"; fi
  prev="$a"
done
if [ -n "$FAKE_RASA_FAIL" ]; then
  echo "Processed rules: 100%"
  echo "InvalidRule: Incomplete rules found"
  exit 1
fi
mkdir -p "$out"
echo "model $RASA_TELEMETRY_ENABLED" > "$out/hotline.tar.gz"
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "domain.yml").write_text("intents: [greet]\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text("nlu: []\n", encoding="utf-8")
    (tmp_path / "knowledge_base" / "dict").mkdir(parents=True)
    (tmp_path / "knowledge_base" / "dict" / "hotline_a.txt").write_text("公积金 10 n\n")
    bin_dir = tmp_path / ".venv-rasa" / "bin"
    bin_dir.mkdir(parents=True)
    rasa = bin_dir / "rasa"
    rasa.write_text(FAKE_RASA, encoding="utf-8")
    rasa.chmod(rasa.stat().st_mode | stat.S_IEXEC)
    return tmp_path


def settings_for(root: Path) -> Settings:
    return Settings(build_dir=root / "build", data_dir=root / "var")


def calls(root: Path) -> list[str]:
    log = root / ".venv-rasa" / "bin" / "calls.log"
    return log.read_text().splitlines() if log.is_file() else []


def test_fingerprint_is_stable(project: Path) -> None:
    assert rasa_cli.training_fingerprint(project) == rasa_cli.training_fingerprint(project)


@pytest.mark.parametrize(
    "changed",
    ["config.yml", "domain.yml", "data/nlu.yml", "data/rules.yml", "knowledge_base/dict/b.txt"],
)
def test_fingerprint_changes_with_each_training_input(project: Path, changed: str) -> None:
    before = rasa_cli.training_fingerprint(project)
    path = project / changed
    path.write_text(path.read_text() + "\nextra_key: 1\n" if path.exists() else "new\n")
    assert rasa_cli.training_fingerprint(project) != before


def test_fingerprint_ignores_other_files(project: Path) -> None:
    before = rasa_cli.training_fingerprint(project)
    (project / "README.md").write_text("docs")
    (project / "knowledge_base" / "faq").mkdir()
    (project / "knowledge_base" / "faq" / "faq.csv").write_text("a,b")
    assert rasa_cli.training_fingerprint(project) == before


def test_comment_only_edits_do_not_retrain(project: Path) -> None:
    before = rasa_cli.training_fingerprint(project)
    config = project / "config.yml"
    config.write_text("# why this pipeline\n" + config.read_text())
    assert rasa_cli.training_fingerprint(project) == before


def test_unparsable_yaml_still_fingerprints(project: Path) -> None:
    (project / "data" / "nlu.yml").write_text("nlu: [unclosed\n")
    before = rasa_cli.training_fingerprint(project)
    (project / "data" / "nlu.yml").write_text("nlu: [unclosed, more\n")
    assert rasa_cli.training_fingerprint(project) != before


def test_dictionary_dir_comes_from_config(project: Path) -> None:
    assert rasa_cli.dictionary_dir(project) == project / "knowledge_base" / "dict"


def test_config_without_dictionary_has_none(project: Path) -> None:
    (project / "config.yml").write_text("pipeline:\n  - name: JiebaTokenizer\n")
    assert rasa_cli.dictionary_dir(project) is None


def test_non_dictionary_file_in_dictionary_dir_is_refused(project: Path) -> None:
    (project / "knowledge_base" / "dict" / "README.md").write_text("notes")
    with pytest.raises(RasaError, match="README.md.*keep only .txt"):
        rasa_cli.training_fingerprint(project)


def test_missing_domain_names_the_file(project: Path) -> None:
    (project / "domain.yml").unlink()
    with pytest.raises(RasaError, match="domain.yml not found"):
        rasa_cli.training_fingerprint(project)


def test_invalid_config_yaml_is_reported(project: Path) -> None:
    (project / "config.yml").write_text("pipeline: [unclosed\n")
    with pytest.raises(RasaError, match="config.yml is not valid YAML"):
        rasa_cli.training_fingerprint(project)


def test_missing_rasa_environment_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotBuiltError, match="make install"):
        rasa_cli.rasa_bin(tmp_path)


def test_train_builds_model_and_stamp(project: Path) -> None:
    settings = settings_for(project)
    model = rasa_cli.train(settings, root=project, echo=lambda _: None)
    assert model == project / "build" / "rasa" / "hotline.tar.gz"
    assert model.read_text().strip() == "model false"  # telemetry off in rasa's env
    stamp = (project / "build" / "rasa" / "hotline.sha256").read_text().strip()
    assert stamp == rasa_cli.training_fingerprint(project)
    assert "--fixed-model-name hotline" in calls(project)[0]


def test_train_skips_when_inputs_unchanged(project: Path) -> None:
    settings = settings_for(project)
    rasa_cli.train(settings, root=project, echo=lambda _: None)
    messages: list[str] = []
    rasa_cli.train(settings, root=project, echo=messages.append)
    assert len(calls(project)) == 1
    assert "up to date" in messages[0]


def test_train_reruns_after_a_change(project: Path) -> None:
    settings = settings_for(project)
    rasa_cli.train(settings, root=project, echo=lambda _: None)
    (project / "data" / "nlu.yml").write_text("nlu: [changed]\n")
    rasa_cli.train(settings, root=project, echo=lambda _: None)
    assert len(calls(project)) == 2


def test_train_force_reruns(project: Path) -> None:
    settings = settings_for(project)
    rasa_cli.train(settings, root=project, echo=lambda _: None)
    rasa_cli.train(settings, force=True, root=project, echo=lambda _: None)
    assert len(calls(project)) == 2


def test_train_reports_timing(project: Path) -> None:
    messages: list[str] = []
    rasa_cli.train(settings_for(project), root=project, echo=messages.append)
    assert messages[-1].startswith("trained rasa model in ")


def test_failed_training_keeps_old_model_and_explains(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(project)
    model = rasa_cli.train(settings, root=project, echo=lambda _: None)
    (project / "data" / "nlu.yml").write_text("nlu: [changed]\n")
    monkeypatch.setenv("FAKE_RASA_FAIL", "1")
    with pytest.raises(RasaError, match="(?s)rasa train failed \\(exit 1\\).*InvalidRule"):
        rasa_cli.train(settings, root=project, echo=lambda _: None)
    assert model.read_text().strip() == "model false"
    assert not list((project / "build" / "rasa").glob(".train-*"))


def test_failed_training_does_not_stamp(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RASA_FAIL", "1")
    with pytest.raises(RasaError):
        rasa_cli.train(settings_for(project), root=project, echo=lambda _: None)
    assert not (project / "build" / "rasa" / "hotline.sha256").exists()


def test_tail_drops_progress_bars_and_colour() -> None:
    text = "Processed rules: 10%\n\x1b[91mInvalidRule: bad\x1b[0m\n\n"
    assert rasa_cli.tail(text) == "InvalidRule: bad"


def test_story_tests_need_a_model(project: Path) -> None:
    with pytest.raises(ModelNotBuiltError, match="train it first"):
        rasa_cli.test_stories(settings_for(project), root=project)


def test_story_tests_function_is_not_collected_by_pytest() -> None:
    assert rasa_cli.test_stories.__test__ is False  # type: ignore[attr-defined]
