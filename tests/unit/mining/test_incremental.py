"""The saved cluster model: new rows join the nearest cluster or wait in the pool."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.mining import incremental
from bot.mining.incremental import ClusterModel
from bot.mining.rows import MinedRow

from .conftest import GROUPS, THRESHOLD, CountingEmbedder, planted_rows


def vectors(embedder: CountingEmbedder, rows: list[MinedRow]) -> np.ndarray:
    return embedder.embed_queries([r.text for r in rows])


def build(embedder: CountingEmbedder, rows: list[MinedRow]) -> ClusterModel:
    return ClusterModel.build(rows, vectors(embedder, rows), embedder=embedder.name,
                              threshold=THRESHOLD, method="leader")


def cluster_of(model: ClusterModel, key: str) -> str | None:
    return next((c.id for c in model.clusters if key in c.members), None)


def test_build_keeps_groups_as_clusters_and_singletons_in_the_pool(embedder) -> None:
    rows = planted_rows()
    model = build(embedder, rows)
    assert sorted(len(c.members) for c in model.clusters) == sorted(
        len(t) for t in GROUPS.values())
    assert len(model.pool) == 4
    assert len(model.rows) == len(rows)


def test_a_new_paraphrase_joins_its_cluster(embedder) -> None:
    rows = planted_rows()
    model = build(embedder, rows)
    shebao = next(r for r in rows if r.category == "shebao")
    new = MinedRow("/data/new.csv", 2, "社保卡丢了怎么补办啊")
    stats = model.add([new], vectors(embedder, [new]), lambda rs: vectors(embedder, rs))
    assert (stats.joined, stats.pooled) == (1, 0)
    assert cluster_of(model, new.key) == cluster_of(model, shebao.key)


def test_an_unrelated_row_goes_to_the_pool(embedder) -> None:
    model = build(embedder, planted_rows())
    new = MinedRow("/data/new.csv", 2, "路灯坏了没人修")
    stats = model.add([new], vectors(embedder, [new]), lambda rs: vectors(embedder, rs))
    assert (stats.joined, stats.pooled) == (0, 1)
    assert new.key in model.pool


def test_rows_already_in_the_model_are_not_added_again(embedder) -> None:
    rows = planted_rows()
    model = build(embedder, rows)
    stats = model.add(rows, vectors(embedder, rows), lambda rs: vectors(embedder, rs))
    assert stats.new_rows == 0
    assert sum(len(c.members) for c in model.clusters) + len(model.pool) == len(rows)


def test_the_pool_is_clustered_when_it_grows(embedder, monkeypatch) -> None:
    monkeypatch.setattr(incremental, "POOL_RECLUSTER_ROWS", 3)
    model = build(embedder, planted_rows())
    before = len(model.clusters)
    new = [MinedRow("/data/new.csv", n, text) for n, text in
           enumerate(["路灯坏了没人修", "路灯坏了没人修理", "小区路灯坏了没人修"], 2)]
    stats = model.add(new, vectors(embedder, new), lambda rs: vectors(embedder, rs))
    assert stats.new_clusters == 1
    assert len(model.clusters) == before + 1
    assert set(model.clusters[-1].members) == {r.key for r in new}
    assert not set(model.pool) & {r.key for r in new}


def test_the_pool_waits_until_it_has_grown_enough(embedder, monkeypatch) -> None:
    monkeypatch.setattr(incremental, "POOL_RECLUSTER_ROWS", 10)
    model = build(embedder, planted_rows())
    new = [MinedRow("/data/new.csv", n, t) for n, t in enumerate(["路灯坏了没人修"] * 2, 2)]
    stats = model.add(new, vectors(embedder, new), lambda rs: vectors(embedder, rs))
    assert stats.new_clusters == 0 and stats.pooled == 2


def test_save_and_load_round_trip(tmp_path: Path, embedder) -> None:
    model = build(embedder, planted_rows())
    model.save(tmp_path)
    loaded = ClusterModel.load(tmp_path)
    assert loaded is not None
    assert [c.members for c in loaded.clusters] == [c.members for c in model.clusters]
    assert loaded.pool == model.pool and loaded.rows == model.rows
    assert np.allclose(loaded.sums, model.sums)


def test_no_model_or_a_damaged_one_loads_as_none(tmp_path: Path, embedder) -> None:
    assert ClusterModel.load(tmp_path) is None
    build(embedder, planted_rows()).save(tmp_path)
    (tmp_path / incremental.MODEL_FILE).write_text("{not json")
    assert ClusterModel.load(tmp_path) is None


def test_other_settings_make_the_model_incompatible(embedder) -> None:
    model = build(embedder, planted_rows())
    assert model.incompatibility(embedder.name, THRESHOLD, "leader") is None
    assert "embedder" in str(model.incompatibility("e5", THRESHOLD, "leader"))
    assert "clustering" in str(model.incompatibility(embedder.name, 0.9, "leader"))


def test_a_pool_group_close_to_a_cluster_joins_it(embedder, monkeypatch) -> None:
    monkeypatch.setattr(incremental, "POOL_RECLUSTER_ROWS", 1)
    rows = planted_rows()
    model = build(embedder, rows)
    shebao = cluster_of(model, next(r for r in rows if r.category == "shebao").key)
    # Rows pooled before the cluster existed (an earlier run): they join when the pool
    # is clustered again, instead of founding a second cluster of the same question.
    old = [MinedRow("/data/old.csv", n, t) for n, t in
           enumerate(["社保卡丢了怎么补办呀", "社保卡丢了怎么补办呀？"], 2)]
    for row in old:
        model.rows[row.key] = row
        model.pool.append(row.key)
    trigger = MinedRow("/data/new.csv", 2, "路灯坏了没人修")
    stats = model.add([trigger], vectors(embedder, [trigger]),
                      lambda rs: vectors(embedder, rs))
    assert stats.new_clusters == 0
    assert {cluster_of(model, r.key) for r in old} == {shebao}
    assert trigger.key in model.pool
