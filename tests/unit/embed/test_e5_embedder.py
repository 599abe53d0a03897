import numpy as np
import pytest

from bot.embed.e5 import E5Embedder
from bot.errors import ConfigError, InputError, ModelNotBuiltError


def test_load_without_a_built_folder_says_run_make_install(tmp_path):
    with pytest.raises(ModelNotBuiltError, match=r"e5-small-st is missing.*run `make install`"):
        E5Embedder(tmp_path / "e5-small-st").load()


def test_name_without_a_built_folder_says_run_make_install(tmp_path):
    with pytest.raises(ModelNotBuiltError, match="run `make install`"):
        _ = E5Embedder(tmp_path / "absent").name


def test_name_comes_from_the_conversion_marker(tmp_path):
    marker = '{"source_sha256": "0123456789abcdef0123", "recipe": 1}'
    (tmp_path / "CONVERTED.json").write_text(marker)
    assert E5Embedder(tmp_path).name == "multilingual-e5-small@0123456789ab"


def test_zero_threads_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="threads=0"):
        E5Embedder(tmp_path, threads=0)


def test_non_string_input_is_refused_before_loading(tmp_path):
    with pytest.raises(InputError, match="text #0 is NoneType"):
        E5Embedder(tmp_path / "absent").embed_queries([None])  # type: ignore[list-item]


def test_an_empty_batch_needs_no_model(tmp_path):
    out = E5Embedder(tmp_path / "absent").embed_passages([])
    assert out.shape == (0, 384) and out.dtype == np.float32
