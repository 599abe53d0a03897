"""One typed settings object, read once at the edge and passed down.

Precedence: process environment > `.env` file in the project root > defaults.
An invalid value fails at start, naming the key and the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_bool(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{key}={raw!r} is not a boolean; use true or false")


def _parse_int(key: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as err:
        raise ConfigError(f"{key}={raw!r} is not an integer") from err


def _parse_float(key: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError as err:
        raise ConfigError(f"{key}={raw!r} is not a number") from err


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass(frozen=True)
class Settings:
    """Every setting of the bot; the environment variable is `BOT_` + the upper-case name."""

    kb_dir: Path = PROJECT_ROOT / "knowledge_base"
    build_dir: Path = PROJECT_ROOT / "build"
    data_dir: Path = PROJECT_ROOT / "var"
    # SQLite under data_dir when empty; a postgresql:// URL for production.
    database_url: str = field(default="", repr=False)
    # "e5" (the real model built by the install step) or "fake" (deterministic, tests only).
    embedder: str = "e5"
    target_precision: float = 0.95
    # Blend of the answer's cosine into an entry's score (0 = questions only) and of the
    # jieba BM25 score; chosen on faq_eval_dev and checked on the bundled KB (README).
    answer_weight: float = 0.4
    lexical_weight: float = 0.0
    # Flat (exact) FAISS search up to this many vectors, HNSW above (see bench/).
    exact_search_max_vectors: int = 20000
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    actions_port: int = 5055
    rasa_timeout_s: float = 10.0
    max_message_chars: int = 2000

    @property
    def e5_model_dir(self) -> Path:
        return self.build_dir / "models" / "e5-small-st"

    @property
    def index_dir(self) -> Path:
        return self.build_dir / "index"

    @property
    def rasa_model_dir(self) -> Path:
        return self.build_dir / "rasa"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'bot.db'}"

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "database_url" and value:
                value = _redact_url(value)
            parts.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(parts)})"

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv: Path | None = PROJECT_ROOT / ".env",
        **overrides: Any,
    ) -> Settings:
        source: dict[str, str] = _read_dotenv(dotenv) if dotenv else {}
        source.update(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = f"BOT_{f.name.upper()}"
            if key not in source:
                continue
            raw = source[key]
            default = f.default
            if isinstance(default, bool):
                values[f.name] = _parse_bool(key, raw)
            elif isinstance(default, int):
                values[f.name] = _parse_int(key, raw)
            elif isinstance(default, float):
                values[f.name] = _parse_float(key, raw)
            elif isinstance(default, Path):
                values[f.name] = Path(raw).expanduser().resolve()
            else:
                values[f.name] = raw
        settings = replace(cls(), **values, **overrides)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.embedder not in {"e5", "fake"}:
            raise ConfigError(f"BOT_EMBEDDER={self.embedder!r} is not one of e5, fake")
        if not 0.5 <= self.target_precision < 1.0:
            raise ConfigError(
                f"BOT_TARGET_PRECISION={self.target_precision!r} must be in [0.5, 1.0)"
            )
        for key, weight in (("ANSWER_WEIGHT", self.answer_weight),
                            ("LEXICAL_WEIGHT", self.lexical_weight)):
            if not 0.0 <= weight < 1.0:
                raise ConfigError(f"BOT_{key}={weight!r} must be in [0, 1)")
        if not 1 <= self.gateway_port <= 65535:
            raise ConfigError(f"BOT_GATEWAY_PORT={self.gateway_port!r} is not a TCP port")
        url = self.database_url
        if url and not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
            raise ConfigError(
                f"BOT_DATABASE_URL={_redact_url(url)!r} must start with sqlite:/// or postgresql://"
            )


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
