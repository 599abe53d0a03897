"""The bot's error types. Each message says what failed, the offending value and the fix;
the CLI prints them as one `Error: ...` line, the HTTP layer as one JSON error shape."""

from __future__ import annotations


class BotError(Exception):
    """Base class for errors shown to users at the edge."""


class ConfigError(BotError):
    """A setting is missing or invalid."""


class InputError(BotError):
    """A file or argument given by the user cannot be used."""


class ModelNotBuiltError(BotError):
    """A model or index the install step builds is not there yet."""


class IndexBuildError(BotError):
    """Building a new index version failed; the previous version keeps serving."""
