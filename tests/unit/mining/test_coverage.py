"""Coverage against a real (fake-embedder) index version: the serving thresholds decide."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.builder import build_version
from bot.engine.service import FaqService
from bot.engine.types import Thresholds
from bot.index.versions import IndexStore
from bot.kb.model import KnowledgeBase
from bot.mining.coverage import CoverageThresholds, nearest, thresholds_of
from bot.mining.pipeline import MineOptions, mine
from bot.mining.vectorcache import CachedEmbedder
from bot.settings import Settings
from tests.support.kb import entry

from .conftest import GROUPS, THRESHOLD, CountingEmbedder, planted_rows

THRESHOLDS = Thresholds(answer=0.95, margin=0.0, clarify=0.6, calibrated_on="test")


@pytest.fixture
def service(tmp_path: Path, embedder: CountingEmbedder) -> FaqService:
    kb = KnowledgeBase.of([
        entry("SB001", "社保卡丢了怎么补办", *GROUPS["shebao"][1:]),
        entry("GJJ001", "住房公积金的提取条件"),
        entry("JZ001", "居住证怎么办理"),
    ])
    store = IndexStore(tmp_path / "index")
    cached = CachedEmbedder(embedder, tmp_path / "cache")
    build_version(kb, cached, store, answer_weight=0.0, thresholds=THRESHOLDS)
    return FaqService(store, cached, None, Settings(answer_weight=0.0))


def test_thresholds_come_from_the_serving_version(service: FaqService) -> None:
    t = thresholds_of(service)
    assert (t.covered, t.partial) == (0.95, 0.6)
    assert "test" in t.source


@pytest.mark.parametrize(("score", "status"), [(0.95, "covered"), (0.7, "partial"),
                                               (0.59, "new")])
def test_status_by_score(score: float, status: str) -> None:
    assert CoverageThresholds(0.95, 0.6, "t").status(score) == status


def test_nearest_entry_of_a_question(service: FaqService) -> None:
    found = nearest(service, "社保卡丢了怎么补办", thresholds_of(service))
    assert (found.status, found.faq_id) == ("covered", "SB001")
    assert found.question == "社保卡丢了怎么补办"
    assert found.score == pytest.approx(1.0, abs=1e-3)


def test_clusters_get_their_coverage(tmp_path: Path, service: FaqService) -> None:
    report = mine(planted_rows(), service.embedder, service=service,
                  options=MineOptions(min_size=3, threshold=THRESHOLD))
    by_cat = {next(iter(c.categories)): c for c in report.clusters}
    assert (by_cat["shebao"].coverage, by_cat["shebao"].nearest_faq_id) == ("covered", "SB001")
    assert by_cat["gongjijin"].nearest_faq_id == "GJJ001"
    gjj = by_cat["gongjijin"]
    assert gjj.nearest_score is not None and 0.6 <= gjj.nearest_score < 0.95
    assert gjj.coverage == "partial"
    assert by_cat["huzhao"].coverage == "new"
    assert report.meta["coverage_thresholds"]["covered"] == 0.95


def test_no_index_means_coverage_unknown(tmp_path: Path, embedder: CountingEmbedder) -> None:
    service = FaqService(IndexStore(tmp_path / "empty"), embedder, None, Settings())
    report = mine(planted_rows(), embedder, service=service,
                  options=MineOptions(min_size=3, threshold=THRESHOLD))
    assert {c.coverage for c in report.clusters} == {"unknown"}
    assert report.meta["coverage_thresholds"] is None
