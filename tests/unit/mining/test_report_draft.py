"""Report files (JSON, CSV, XLSX) and the draft entry an accepted cluster becomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.kb.model import COLUMNS
from bot.kb.tables import read_table
from bot.mining.draft import accept_cluster
from bot.mining.pipeline import MineOptions, mine
from bot.mining.report import TABLE_COLUMNS, check_out_path, write_report
from bot.mining.result import MiningReport

from .conftest import THRESHOLD, planted_rows


@pytest.fixture
def report(embedder) -> MiningReport:
    return mine(planted_rows(), embedder, options=MineOptions(min_size=3, threshold=THRESHOLD))


def test_json_report_is_one_object_with_ranked_clusters(report, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_report(report, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [c["size"] for c in data["clusters"]] == [5, 4, 3]
    assert data["clusters"][0]["members"][0] == {"source": "tickets.csv",
                                                 "row": report.clusters[0].members[0].row}
    assert data["min_size"] == 3


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_table_reports_have_one_row_per_cluster(report, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"r{suffix}"
    write_report(report, path)
    table = read_table(path)
    assert table.header == tuple(title for _, title in TABLE_COLUMNS)
    assert len(table.rows) == 3
    first = dict(zip(table.header, table.rows[0].cells, strict=False))
    assert first["代表问题"] == report.clusters[0].representative
    assert first["条数"] == "5"
    assert first["来源行"].startswith("tickets.csv:")


@pytest.mark.parametrize(("name", "message"), [("r.txt", "只能写成"), ("no/such/r.json", "不存在")])
def test_bad_out_paths_fail_before_the_run(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_out_path(tmp_path / name)


def test_accepting_a_cluster_makes_a_draft_to_answer(report) -> None:
    cluster = report.clusters[0]
    draft = accept_cluster(cluster)
    assert draft.question == cluster.representative
    assert set(draft.similar_questions) <= {m.text for m in cluster.members}
    assert draft.question not in draft.similar_questions
    assert draft.similar_questions
    assert (draft.answer, draft.needs_answer, draft.needs_review) == ("", True, True)
    assert draft.category == "shebao" and draft.source_cluster == cluster.id


def test_a_cluster_from_a_json_report_is_accepted_too(report) -> None:
    data = report.to_json()["clusters"][0]
    assert accept_cluster(data) == accept_cluster(report.clusters[0])


def test_a_covered_cluster_points_at_the_entry_to_extend() -> None:
    draft = accept_cluster({"id": "c1", "representative": "您好，社保卡怎么补办？？",
                            "examples": ["社保卡怎么补办", "社保卡丢了咋办"],
                            "coverage": "covered", "nearest_faq_id": "SB001"})
    assert draft.question == "社保卡怎么补办？"
    assert draft.similar_questions == ("社保卡丢了咋办",)  # same wording as the question dropped
    assert any("SB001" in note for note in draft.notes)


def test_a_draft_fits_the_knowledge_base_columns(report) -> None:
    row = accept_cluster(report.clusters[0]).to_row("NEW001")
    assert tuple(row) == COLUMNS
    assert row["faq_id"] == "NEW001" and row["answer"] == ""
    assert "|" in row["similar_questions"] or len(report.clusters[0].examples) == 1
