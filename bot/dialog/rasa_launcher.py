"""Start rasa's command line with one measured fix applied; run by the *rasa* environment's
interpreter, by path (`.venv-rasa/bin/python bot/dialog/rasa_launcher.py run ...`), so it
imports nothing from the `bot` package and stays a plain script for that interpreter.

The fix: rasa 3.6 checks every custom action's response with `jsonschema.validate`, which
re-validates rasa's own response schema against the JSON-Schema meta-schema on *every*
call before validating the response. Profiled with py-spy on an FAQ turn, that meta-schema
check was 36 % of the rasa server's CPU (bench/README figures: ~76 ms of rasa CPU a turn).
Here the schema is checked once and the compiled validator reused; a response is validated
exactly as before and an invalid one raises the same `ValidationError` with the same text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_validator: Any = None


def _compiled_validator(schema: dict[str, Any]) -> Any:
    global _validator
    if _validator is None:
        from jsonschema.validators import validator_for

        cls = validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    return _validator


def patch_action_validation() -> None:
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        validator = _compiled_validator(self.action_response_format_spec())
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        if isinstance(error, ValidationError):
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def main() -> None:
    # Run by path, Python put this folder first on sys.path: keep its modules from
    # shadowing anything rasa imports.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != here]
    patch_action_validation()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
