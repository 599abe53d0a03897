"""A whole mining run over planted groups: report shape, members, ranking, incremental runs."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.mining.pipeline import MineOptions, mine
from bot.mining.sources import read_file_rows
from bot.text.tokenize import HotlineTokenizer

from .conftest import GROUPS, THRESHOLD, CountingEmbedder, planted_rows

OPTIONS = MineOptions(min_size=3, threshold=THRESHOLD)
TOKENIZER = HotlineTokenizer(None)  # jieba loads once (about a second), on first use
REQUIRED = {"size", "representative", "examples", "keywords", "nearest_faq_id",
            "nearest_score", "coverage", "members", "growth", "rising", "categories", "votes"}


def run(rows, embedder, **kw):
    kw.setdefault("options", OPTIONS)
    return mine(rows, embedder, tokens=TOKENIZER.tokens, **kw)


def test_report_shape(embedder: CountingEmbedder) -> None:
    data = run(planted_rows(), embedder).to_json()
    assert len(data["clusters"]) == 3
    for cluster in data["clusters"]:
        assert REQUIRED <= set(cluster)
        assert 1 <= len(cluster["examples"]) <= 5
        assert cluster["coverage"] == "unknown"  # no FAQ service given
    assert [c["rank"] for c in data["clusters"]] == [1, 2, 3]
    assert data["rows"] == 16 and data["clusters_reported"] == 3
    assert data["clustering"]["threshold"] == THRESHOLD


def test_members_map_back_to_the_source_rows(tickets_csv: Path, embedder) -> None:
    rows, summary = read_file_rows(tickets_csv)
    report = run(rows, embedder, summaries=[summary])
    with tickets_csv.open(encoding="utf-8") as handle:
        by_row = {n: rec for n, rec in enumerate(csv.DictReader(handle), 2)}
    for cluster in report.to_json()["clusters"]:
        groups = {by_row[m["row"]]["类别"] for m in cluster["members"]}
        assert len(groups) == 1 and groups != {""}
        assert all(m["source"] == "tickets.csv" for m in cluster["members"])
        assert len(cluster["members"]) == len(GROUPS[groups.pop()])


def test_the_representative_is_a_member_and_ranks_follow_size(embedder) -> None:
    report = run(planted_rows(), embedder)
    for cluster in report.clusters:
        assert cluster.representative in {m.text for m in cluster.members}
        assert cluster.members[0].text == cluster.representative
    assert [c.size for c in report.clusters] == [5, 4, 3]
    assert report.clusters[0].categories == {"shebao": 5}


def test_votes_lift_a_smaller_cluster(embedder) -> None:
    rows = [r if r.category != "huzhao" else r.__class__(r.source, r.row, r.text, r.time,
                                                         r.category, 500)
            for r in planted_rows()]
    report = run(rows, embedder)
    assert report.clusters[0].categories == {"huzhao": 3}
    assert report.clusters[0].votes == 1500


def test_min_size_hides_small_clusters(embedder) -> None:
    report = run(planted_rows(), embedder, options=MineOptions(min_size=5, threshold=THRESHOLD))
    assert [c.size for c in report.clusters] == [5]


def test_fewer_rows_than_min_size_is_a_clear_error(embedder) -> None:
    with pytest.raises(InputError, match="只有 2 条问题，少于 --min-size 3"):
        run(planted_rows()[:2], embedder)


def test_no_rows_is_a_clear_error(embedder) -> None:
    with pytest.raises(InputError, match="没有可以分析的问题"):
        run([], embedder)


def test_a_second_run_places_only_new_rows(tmp_path: Path, embedder) -> None:
    rows = planted_rows()
    run(rows[:10], embedder, model_dir=tmp_path)
    before = embedder.embedded
    report = run(rows, embedder, model_dir=tmp_path)
    assert report.meta["model"]["rebuilt"] is False
    assert report.meta["model"]["new_rows"] == 6
    assert report.meta["rows"] == 16
    # Only the 6 new rows are embedded for placing (then all 16 for describing).
    assert embedder.calls[-2:] == [6, 16] and embedder.embedded == before + 22


def test_rebuild_reclusters_everything(tmp_path: Path, embedder) -> None:
    rows = planted_rows()
    run(rows, embedder, model_dir=tmp_path)
    again = run(rows[:8], embedder, model_dir=tmp_path,
                options=MineOptions(min_size=2, threshold=THRESHOLD, rebuild=True))
    assert again.meta["model"]["rebuilt"] is True and again.meta["rows"] == 8


def test_another_threshold_rebuilds_the_model(tmp_path: Path, embedder) -> None:
    rows = planted_rows()
    run(rows, embedder, model_dir=tmp_path)
    report = run(rows, embedder, model_dir=tmp_path,
                 options=MineOptions(min_size=3, threshold=0.6))
    assert report.meta["model"]["rebuilt"] is True
    assert "clustering changed" in report.meta["model"]["reason"]


@dataclass(frozen=True)
class _Top:
    faq_id: str
    question: str
    score: float


@dataclass(frozen=True)
class _Result:
    top: _Top | None


class FakeService:
    """Answers every question about 社保卡 with F1 at 0.95, 公积金 at 0.80, else F9 at 0.3."""

    class matcher:  # noqa: N801 - mimics FaqService.matcher
        version = "v-test"

        class thresholds:  # noqa: N801
            answer, clarify, calibrated_on = 0.9, 0.75, "test"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def ask(self, text: str) -> _Result:
        self.asked.append(text)
        if "社保" in text:
            return _Result(_Top("F1", "社保卡补办", 0.95))
        if "公积金" in text:
            return _Result(_Top("F2", "公积金提取", 0.80))
        return _Result(_Top("F9", "别的", 0.3))


def test_coverage_uses_the_index_thresholds(embedder) -> None:
    service = FakeService()
    report = run(planted_rows(), embedder, service=service)
    by_cat = {next(iter(c.categories)): c for c in report.clusters}
    assert (by_cat["shebao"].coverage, by_cat["shebao"].nearest_faq_id) == ("covered", "F1")
    assert by_cat["gongjijin"].coverage == "partial"
    assert by_cat["huzhao"].coverage == "new"
    assert by_cat["shebao"].to_json()["flag"] == "gap_in_similar_questions_or_thresholds"
    assert by_cat["huzhao"].to_json()["flag"] == ""
    assert report.meta["coverage_thresholds"]["covered"] == 0.9
    assert len(service.asked) == 3  # one lookup per reported cluster
