"""Intent predictions of a trained rasa model for a batch of texts, for the benchmark and
the integration tests. The model is loaded once, in a .venv-rasa subprocess that runs
bot/dialog/rasa_parse.py."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.dialog.rasa_cli import RasaError, run_rasa, tail
from bot.errors import ModelNotBuiltError
from bot.settings import PROJECT_ROOT


@dataclass(frozen=True)
class ParsedMessage:
    text: str
    intent: str | None
    confidence: float
    ranking: tuple[tuple[str, float], ...]
    ms: float  # parse time of this message, model already loaded


@dataclass(frozen=True)
class ParseRun:
    load_s: float
    results: tuple[ParsedMessage, ...]


def parse_messages(
    texts: Sequence[str], model: Path, *, root: Path | None = None, timeout_s: float = 600
) -> ParseRun:
    """Intent predictions of `model` for each text (one model load for all of them)."""
    root = root or PROJECT_ROOT
    if not model.is_file():
        raise ModelNotBuiltError(f"rasa model {model} not found; train it first (`bot train`)")
    script = Path(__file__).with_name("rasa_parse.py")
    with tempfile.TemporaryDirectory(prefix="rasa-parse-") as tmp:
        request, result = Path(tmp) / "request.json", Path(tmp) / "result.json"
        payload = {"model": str(model.resolve()), "texts": list(texts)}
        request.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        done = run_rasa(
            root, [str(script), str(request), str(result)], timeout_s=timeout_s, python=True
        )
        if done.returncode != 0 or not result.is_file():
            raise RasaError(
                f"parsing with rasa model {model} failed (exit {done.returncode}):\n"
                f"{tail(done.stdout)}"
            )
        data = json.loads(result.read_text(encoding="utf-8"))
    return ParseRun(
        load_s=float(data["load_s"]),
        results=tuple(
            ParsedMessage(
                text=item["text"],
                intent=item["intent"],
                confidence=item["confidence"],
                ranking=tuple((str(name), float(conf)) for name, conf in item["ranking"]),
                ms=item["ms"],
            )
            for item in data["results"]
        ),
    )
