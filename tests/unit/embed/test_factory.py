import pytest

from bot.embed.base import FakeEmbedder
from bot.embed.e5 import E5Embedder
from bot.embed.factory import make_embedder
from bot.errors import ConfigError
from bot.settings import Settings


def test_fake_setting_gives_the_fake_embedder():
    assert isinstance(make_embedder(Settings(embedder="fake")), FakeEmbedder)


def test_e5_setting_gives_an_unloaded_e5_embedder_on_the_install_folder(tmp_path):
    embedder = make_embedder(Settings(embedder="e5", build_dir=tmp_path))
    assert isinstance(embedder, E5Embedder)
    assert embedder.model_dir == tmp_path / "models" / "e5-small-st"


def test_an_unknown_embedder_is_a_config_error():
    with pytest.raises(ConfigError, match="BOT_EMBEDDER='bge'"):
        make_embedder(Settings(embedder="bge"))
