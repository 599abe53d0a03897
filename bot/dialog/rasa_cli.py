"""Drive the rasa command line of .venv-rasa from the application: train (only when the
inputs changed), validate the training data, parse messages with a trained model.

Rasa lives in its own virtual environment and process (its pins clash with the app's), so
nothing here imports rasa: every call is a subprocess run in the project root, the directory
that config.yml, domain.yml, endpoints.yml and their relative paths are resolved against.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.dialog.story_report import StoryTestSummary, read_story_report
from bot.errors import BotError, ModelNotBuiltError
from bot.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

MODEL_NAME = "hotline"
TRAIN_TIMEOUT_S = 1800.0
_TRAIN_ARGS = ("train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data")
# Environment variables that would make rasa's interpreter pick up the app's packages.
_FOREIGN_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")


class RasaError(BotError):
    """A rasa command failed or its project files are unusable."""


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    output: str


def rasa_bin(root: Path) -> Path:
    path = root / ".venv-rasa" / "bin" / "rasa"
    if not path.is_file():
        raise ModelNotBuiltError(
            f"the rasa environment is missing ({path} not found); run `make install`"
        )
    return path


def rasa_python(root: Path) -> Path:
    rasa_bin(root)  # same environment, same error message
    return root / ".venv-rasa" / "bin" / "python"


def rasa_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_ENV}
    # A government deployment must not phone home; on this closed network it would also
    # mean retries and slow starts.
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["HF_HUB_OFFLINE"] = "1"
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def run_rasa(
    root: Path,
    args: Sequence[str],
    *,
    timeout_s: float,
    log_path: Path | None = None,
    python: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `rasa ARGS` (or `python ARGS` of the rasa environment) in the project root."""
    exe = rasa_python(root) if python else rasa_bin(root)
    # endpoints.yml keeps the SQLite tracker store under var/; sqlite does not create folders.
    (root / "var").mkdir(exist_ok=True)
    command = [str(exe), *args]
    try:
        done = subprocess.run(
            command,
            cwd=root,
            env=rasa_env(),
            # One stream keeps rasa's error text next to the log line it explains.
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise RasaError(
            f"`{' '.join(command[1:3])}` ran past {timeout_s:.0f} s and was stopped; "
            "retry when the machine is less busy or raise the timeout"
        ) from err
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(done.stdout, encoding="utf-8")
    return done


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Progress bars and library deprecation chatter hide the one line that explains a failure.
_NOISE = ("Processed ", "Epochs:", "Warning", "  ")


def tail(text: str, lines: int = 15) -> str:
    """The last meaningful lines of rasa's output, for an error message."""
    kept = []
    for line in _ANSI.sub("", text).splitlines():
        if line.strip() and not line.startswith(_NOISE) and "Warning:" not in line:
            kept.append(line)
    return "\n".join(kept[-lines:])


def dictionary_dir(root: Path) -> Path | None:
    """The JiebaTokenizer dictionary_path of config.yml, or None when it names none."""
    config = root / "config.yml"
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as err:
        raise RasaError(f"{config} not found; the rasa project files are missing") from err
    except yaml.YAMLError as err:
        raise RasaError(f"{config} is not valid YAML: {err}") from err
    for component in data.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "JiebaTokenizer":
            path = component.get("dictionary_path")
            return (root / path) if path else None
    return None


def check_dictionary_dir(path: Path) -> list[Path]:
    """rasa loads every entry of the folder with jieba.load_userdict: only plain .txt files
    may live there (a README or a subfolder would break training or serving)."""
    if not path.is_dir():
        return []
    entries = sorted(path.iterdir())
    for entry in entries:
        if not entry.is_file() or entry.suffix != ".txt":
            raise RasaError(
                f"{entry} is in the jieba dictionary folder {path}, which rasa loads "
                "wholesale as user dictionaries; keep only .txt dictionary files there"
            )
    return entries


def training_inputs(root: Path) -> list[Path]:
    """Every file a change of which must retrain the model, in a stable order."""
    files = [root / "config.yml", root / "domain.yml"]
    for path in files:
        if not path.is_file():
            raise RasaError(f"{path} not found; the rasa project files are missing")
    files += sorted(p for p in (root / "data").rglob("*") if p.is_file())
    dictionary = dictionary_dir(root)
    if dictionary is not None:
        files += check_dictionary_dir(dictionary)
    return files


def _content(path: Path) -> bytes:
    """What rasa trains on: YAML as parsed, so that editing a comment does not retrain;
    anything else (and YAML that does not parse, which rasa will report) byte for byte."""
    raw = path.read_bytes()
    if path.suffix in {".yml", ".yaml"}:
        try:
            parsed = yaml.safe_load(raw.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError):
            return raw
        return json.dumps(parsed, sort_keys=True, ensure_ascii=False, default=str).encode()
    return raw


def training_fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(_content(path)).digest())
    return digest.hexdigest()


def model_path(settings: Settings) -> Path:
    return settings.rasa_model_dir / f"{MODEL_NAME}.tar.gz"


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    # Two trainings at once (a test run and `bot train`) would race on the same files.
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def train(
    settings: Settings,
    force: bool = False,
    *,
    root: Path | None = None,
    echo: Callable[[str], None] | None = None,
    timeout_s: float = TRAIN_TIMEOUT_S,
) -> Path:
    """Train the rasa model unless config, domain, data and dictionary are unchanged since
    the last training; return the model file. The new model replaces the old one atomically."""
    root = root or PROJECT_ROOT
    say = echo or log.info
    model_dir = settings.rasa_model_dir
    model = model_path(settings)
    stamp = model_dir / f"{MODEL_NAME}.sha256"
    with _exclusive(model_dir / ".train.lock"):
        fingerprint = training_fingerprint(root)
        current = stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else ""
        if not force and model.is_file() and current == fingerprint:
            say(f"rasa model is up to date ({model})")
            return model
        work = Path(tempfile.mkdtemp(prefix=".train-", dir=model_dir))
        try:
            started = time.perf_counter()
            args = [*_TRAIN_ARGS, "--fixed-model-name", MODEL_NAME, "--out", str(work)]
            done = run_rasa(root, args, timeout_s=timeout_s, log_path=model_dir / "train.log")
            elapsed = time.perf_counter() - started
            produced = work / f"{MODEL_NAME}.tar.gz"
            if done.returncode != 0 or not produced.is_file():
                raise RasaError(
                    f"rasa train failed (exit {done.returncode}); full log in "
                    f"{model_dir / 'train.log'}; last lines:\n{tail(done.stdout)}"
                )
            os.replace(produced, model)
            stamp.write_text(fingerprint + "\n", encoding="utf-8")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    say(f"trained rasa model in {elapsed:.1f} s -> {model}")
    return model


def validate_data(settings: Settings, *, root: Path | None = None) -> ValidationResult:
    """`rasa data validate --fail-on-warnings`: intents, responses, rules and stories agree."""
    root = root or PROJECT_ROOT
    done = run_rasa(root, ["data", "validate", "--fail-on-warnings"], timeout_s=300)
    return ValidationResult(ok=done.returncode == 0, output=done.stdout)


def test_stories(
    settings: Settings,
    *,
    model: Path | None = None,
    stories: Path | None = None,
    out: Path | None = None,
    e2e: bool = False,
    root: Path | None = None,
    timeout_s: float = 900,
) -> StoryTestSummary:
    """`rasa test core` over the conversation tests; returns which stories passed.

    Rasa replays each story (its slot events stand in for the custom actions), so this tests
    the rules and forms; with e2e=True it also checks the intent NLU predicts for each text."""
    root = root or PROJECT_ROOT
    model = model or model_path(settings)
    stories = stories or root / "tests" / "conversations"
    out = out or root / "results" / "rasa_test"
    if not model.is_file():
        raise ModelNotBuiltError(f"rasa model {model} not found; train it first (`bot train`)")
    if not stories.exists():
        raise RasaError(f"conversation tests {stories} not found")
    shutil.rmtree(out, ignore_errors=True)  # stale files would read as this run's results
    out.mkdir(parents=True)
    args = ["test", "core", "--stories", str(stories), "--model", str(model), "--out", str(out)]
    args += ["--successes", "--no-plot", *(["--e2e"] if e2e else [])]
    done = run_rasa(root, args, timeout_s=timeout_s, log_path=out / "rasa_test.log")
    if done.returncode != 0:
        raise RasaError(
            f"rasa test core failed (exit {done.returncode}); log in {out / 'rasa_test.log'}:\n"
            f"{tail(done.stdout)}"
        )
    return read_story_report(out)


# Not a pytest test, whatever its name says, when a test module imports it.
test_stories.__test__ = False  # type: ignore[attr-defined]
