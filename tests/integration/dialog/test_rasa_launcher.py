"""The rasa launcher's validation fix, run in the rasa environment itself: a valid action
response passes, an invalid one fails with the same error rasa's own code raises."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
LAUNCHER = PROJECT_ROOT / "bot" / "dialog" / "rasa_launcher.py"

if not RASA_PYTHON.is_file():
    pytest.skip("the rasa environment (.venv-rasa) is not installed: run `make install`",
                allow_module_level=True)

SCRIPT = textwrap.dedent(
    """
    import json, runpy, sys
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    responses = json.loads(sys.argv[2])
    def outcome(action):
        got = []
        for response in responses:
            try:
                got.append(["ok", action._validate_action_result(response)])
            except ValidationError as err:
                got.append(["error", err.message])
        return got

    action = RemoteAction("action_answer_faq", None)
    original = outcome(action)
    runpy.run_path(sys.argv[1])["patch_action_validation"]()
    patched = outcome(action)
    print(json.dumps({"original": original, "patched": patched}, ensure_ascii=False))
    """
)

VALID = {"events": [{"event": "slot", "name": "dialog_state", "value": "awaiting_feedback"}],
         "responses": [{"text": "身份证遗失的，请尽快到派出所申报挂失。", "custom": {"faq": {}}}]}
INVALID_EVENT = {"events": [{"event": "slot", "name": 5}], "responses": []}
NOT_A_LIST = {"events": "slot", "responses": []}


def _run(responses: list[dict]) -> dict:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT, str(LAUNCHER), json.dumps(responses)],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_patched_validation_decides_and_reports_exactly_as_rasa_does() -> None:
    got = _run([VALID, INVALID_EVENT, NOT_A_LIST])
    assert got["patched"] == got["original"]
    assert [kind for kind, _ in got["patched"]] == ["ok", "error", "error"]
    assert "Failed to validate Action server response" in got["patched"][1][1]
