"""Pick the embedder the settings name."""

from __future__ import annotations

from bot.embed.base import Embedder, FakeEmbedder
from bot.errors import ConfigError
from bot.settings import Settings


def make_embedder(settings: Settings) -> Embedder:
    """Not loaded yet: call `load()` (or just embed) when the model is needed."""
    if settings.embedder == "e5":
        from bot.embed.e5 import E5Embedder

        return E5Embedder(settings.e5_model_dir)
    if settings.embedder == "fake":
        return FakeEmbedder()
    raise ConfigError(f"BOT_EMBEDDER={settings.embedder!r} is not one of e5, fake")
