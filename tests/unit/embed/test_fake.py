import subprocess
import sys

import numpy as np
import pytest

from bot.embed.base import Embedder, FakeEmbedder
from bot.errors import InputError


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_same_text_gives_the_same_vector_across_instances():
    a = FakeEmbedder().embed_queries(["社保卡丢了怎么补办"])
    b = FakeEmbedder().embed_queries(["社保卡丢了怎么补办"])
    assert np.array_equal(a, b)


def test_vectors_do_not_depend_on_the_process_hash_seed():
    code = (
        "from bot.embed.base import FakeEmbedder;"
        "print(FakeEmbedder().embed_queries(['公积金提取'])[0].tobytes().hex())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outs == {FakeEmbedder().embed_queries(["公积金提取"])[0].tobytes().hex() + "\n"}


def test_rows_are_unit_length_float32_of_the_given_dim():
    vectors = FakeEmbedder(dim=32).embed_passages(["社保", "公积金怎么提取", "a b c", ""])
    assert vectors.dtype == np.float32
    assert vectors.shape == (4, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_similar_text_is_closer_than_unrelated_text():
    q, similar, unrelated = FakeEmbedder().embed_queries(
        ["社保卡丢了怎么补办", "社保卡不见了怎么补办", "公积金提取需要什么材料"]
    )
    assert cos(q, similar) > cos(q, unrelated) + 0.3


def test_query_and_passage_embeddings_are_identical():
    fake = FakeEmbedder()
    texts = ["身份证到期怎么换领", "噪音投诉"]
    assert np.array_equal(fake.embed_queries(texts), fake.embed_passages(texts))


def test_whitespace_only_text_still_gets_a_unit_vector():
    vector = FakeEmbedder().embed_queries(["   "])[0]
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-6


def test_empty_list_gives_an_empty_matrix():
    assert FakeEmbedder(dim=16).embed_queries([]).shape == (0, 16)


def test_a_non_string_item_is_an_input_error_naming_it():
    with pytest.raises(InputError, match=r"text #1 is int 42"):
        FakeEmbedder().embed_queries(["社保", 42])  # type: ignore[list-item]


def test_a_bare_string_is_an_input_error():
    with pytest.raises(InputError, match="wrap it in"):
        FakeEmbedder().embed_queries("社保")  # type: ignore[arg-type]


def test_too_small_dim_is_refused():
    with pytest.raises(ValueError, match="dim=2"):
        FakeEmbedder(dim=2)


def test_fake_satisfies_the_embedder_protocol():
    fake = FakeEmbedder()
    fake.load()
    assert isinstance(fake, Embedder)
    assert fake.name == "fake-char-ngram-64"
