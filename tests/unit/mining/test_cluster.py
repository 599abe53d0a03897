"""Clustering finds planted groups, keeps unrelated rows apart and does not chain."""

from __future__ import annotations

import numpy as np
import pytest

from bot.mining.cluster import centroids, cluster, knn, merge_close

from .conftest import GROUPS, THRESHOLD, planted_texts


def blobs(sizes: list[int], dim: int = 32, spread: float = 0.05, seed: int = 0) -> np.ndarray:
    """Rows around random unit centres, L2-normalised; group g has sizes[g] rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        centre = rng.standard_normal(dim)
        centre /= np.linalg.norm(centre)
        rows.append(centre + spread * rng.standard_normal((size, dim)))
    x = np.vstack(rows).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def truth(sizes: list[int]) -> list[int]:
    return [g for g, size in enumerate(sizes) for _ in range(size)]


def same_partition(labels: np.ndarray, expected: list[int]) -> bool:
    pairs = {(int(a), b) for a, b in zip(labels, expected, strict=True)}
    return len(pairs) == len(set(expected)) == len(set(labels.tolist()))


@pytest.mark.parametrize("method", ["leader", "components"])
def test_finds_planted_blobs(method: str) -> None:
    sizes = [12, 7, 5, 1, 1]
    result = cluster(blobs(sizes), threshold=0.8, method=method)
    assert same_partition(result.labels, truth(sizes))


def test_groups_are_numbered_by_size() -> None:
    sizes = [3, 9, 5]
    result = cluster(blobs(sizes), threshold=0.8)
    assert [len(result.members(g)) for g in range(result.n_groups)] == [9, 5, 3]


def test_planted_paraphrases_with_the_fake_embedder(embedder) -> None:
    items = planted_texts()
    result = cluster(embedder.embed_queries([t for _, t in items]), THRESHOLD)
    for name in GROUPS:
        labels = {int(result.labels[i]) for i, (g, _) in enumerate(items) if g == name}
        assert len(labels) == 1, name
    noise = [int(result.labels[i]) for i, (g, _) in enumerate(items) if not g]
    assert all(len(result.members(label)) == 1 for label in noise)


def test_identical_rows_share_a_group_even_beyond_the_neighbour_count() -> None:
    x = np.vstack([blobs([1], seed=1)] * 50 + [blobs([1], seed=2)])
    result = cluster(x, threshold=0.9, k=5)
    assert sorted(len(result.members(g)) for g in range(result.n_groups)) == [1, 50]


def test_merge_reunites_a_group_split_by_the_neighbour_limit() -> None:
    x = blobs([40], spread=0.02)
    split = np.arange(40) % 4  # as if four founders had each taken ten
    assert len(set(merge_close(x, split, threshold=0.9, k=5).tolist())) == 1


def test_leader_does_not_chain_where_components_do() -> None:
    # A path of rows, each close to the next, drifting from one end to the other.
    steps = np.linspace(0, np.pi / 2, 30)
    x = np.stack([np.cos(steps), np.sin(steps)] + [np.zeros(30)] * 6, axis=1).astype(np.float32)
    chained = cluster(x, threshold=0.99, method="components")
    leader = cluster(x, threshold=0.99, method="leader")
    assert chained.n_groups == 1
    assert leader.n_groups > 3
    assert leader.labels[0] != leader.labels[-1]


def test_centroids_are_normalised_means() -> None:
    x = blobs([4, 4])
    labels = np.array([0] * 4 + [1] * 4)
    c = centroids(x, labels)
    expected = x[:4].mean(axis=0) / np.linalg.norm(x[:4].mean(axis=0))
    assert np.allclose(c[0], expected, atol=1e-6)
    assert np.allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-6)


def test_knn_leaves_out_the_row_itself() -> None:
    x = blobs([3, 3])
    sims, idx = knn(x, 2)
    assert all(i not in row for i, row in enumerate(idx.tolist()))
    assert sims.shape == (6, 2)


def test_empty_and_single_inputs() -> None:
    assert cluster(np.zeros((0, 8), np.float32)).n_groups == 0
    assert cluster(blobs([1])).labels.tolist() == [0]


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of"):
        cluster(blobs([2]), method="kmeans")
