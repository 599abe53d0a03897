"""bot.dialog.nlu_parse with a fake rasa interpreter (no rasa runs)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.dialog.nlu_parse import parse_messages
from bot.dialog.rasa_cli import RasaError
from bot.errors import ModelNotBuiltError

# Called as: python rasa_parse.py REQUEST RESULT; answers one canned parse, or fails.
FAKE_PYTHON = """\
#!/bin/sh
if [ -n "$FAKE_PARSE_FAIL" ]; then echo "OSError: model file is corrupt"; exit 1; fi
cat > "$3" <<'JSON'
{"load_s": 1.5, "results": [{"text": "转人工", "intent": "request_human", "confidence": 0.97,
 "ranking": [["request_human", 0.97], ["complain", 0.02]], "ms": 12.5}]}
JSON
"""


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    bin_dir = tmp_path / ".venv-rasa" / "bin"
    bin_dir.mkdir(parents=True)
    for name, body in (("python", FAKE_PYTHON), ("rasa", "#!/bin/sh\n")):
        exe = bin_dir / name
        exe.write_text(body, encoding="utf-8")
        exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "model.tar.gz").write_text("model")
    return tmp_path


def test_parse_reads_results(root: Path) -> None:
    run = parse_messages(["转人工"], root / "model.tar.gz", root=root)
    assert run.load_s == 1.5
    assert run.results[0].intent == "request_human"
    assert run.results[0].ranking == (("request_human", 0.97), ("complain", 0.02))


def test_missing_model_says_train_first(root: Path) -> None:
    with pytest.raises(ModelNotBuiltError, match="train it first"):
        parse_messages(["你好"], root / "absent.tar.gz", root=root)


def test_failed_parse_shows_rasa_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PARSE_FAIL", "1")
    with pytest.raises(RasaError, match="(?s)exit 1.*model file is corrupt"):
        parse_messages(["你好"], root / "model.tar.gz", root=root)
