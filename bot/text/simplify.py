"""Traditional -> Simplified Chinese with OpenCC's `t2s` tables (opencc-python-reimplemented).

The converter is pure Python (~100 us for a 40-character sentence), so it is loaded once,
lazily, and skipped for text that holds no character the t2s tables could change: most
citizen messages are already Simplified, and the skip is exact (see `_trigger_chars`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Protocol

from bot.errors import ConfigError

log = logging.getLogger(__name__)

# The tables `t2s.json` chains, in the package's own data folder.
_T2S_TABLES = ("TSPhrases.txt", "TSCharacters.txt")


class _Converter(Protocol):
    def convert(self, string: str) -> str: ...


_lock = threading.Lock()
_converter: _Converter | None = None
# None: the tables could not be read, so every text goes through the converter.
_triggers: frozenset[str] | None = None


def to_simplified(text: str) -> str:
    """Convert Traditional characters and phrases to Simplified; other text is unchanged."""
    converter = _converter or _load()
    if _triggers is not None and _triggers.isdisjoint(text):
        return text
    return converter.convert(text)


def _load() -> _Converter:
    global _converter, _triggers
    with _lock:
        if _converter is None:
            try:
                import opencc
            except ImportError as err:
                raise ConfigError(
                    "opencc-python-reimplemented is not installed; "
                    "run `.venv/bin/pip install -r requirements/app.txt`"
                ) from err
            converter = opencc.OpenCC("t2s")
            _triggers = _trigger_chars(Path(opencc.__file__).parent / "dictionary")
            # Published last: a reader that sees the converter also sees the trigger set.
            _converter = converter
        return _converter


def _trigger_chars(folder: Path) -> frozenset[str] | None:
    """Every character that the t2s tables change somewhere.

    A phrase entry adds only the positions it changes: 覆 in 答覆 -> 答复 is a trigger, 答 is
    not. Text with no trigger character can match phrase entries only where they change
    nothing, so skipping the converter for it gives exactly the converter's output.
    """
    triggers: set[str] = set()
    try:
        for name in _T2S_TABLES:
            with open(folder / name, encoding="utf-8") as table:
                for line in table:
                    key, _, values = line.rstrip("\n").partition("\t")
                    value = values.split(" ")[0]
                    if len(value) != len(key):
                        triggers.update(key)
                        continue
                    triggers.update(k for k, v in zip(key, value, strict=True) if k != v)
    except OSError as err:
        # A changed package layout costs speed, not correctness.
        log.warning("cannot read OpenCC tables in %s (%s); converting every text", folder, err)
        return None
    return frozenset(triggers)
