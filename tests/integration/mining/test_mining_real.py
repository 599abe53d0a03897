"""Mining with the real e5 model on a small sample of real citizen messages (tipdm2020c).

Skipped where ../shared/data or the built model is absent. The sample is written to a
temporary folder, never into the project.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

DATA = PROJECT_ROOT.parent / "shared" / "data" / "tipdm2020c_smart_gov"
FJ3 = DATA / "fj3_messages_votes_full.csv"
HOT = "伊景园"  # the hot topic of this data: the 伊景园滨河苑 parking-space bundling case
OTHER = 150  # other messages mixed in


@pytest.fixture(scope="module")
def settings() -> Settings:
    if not FJ3.is_file():
        pytest.skip(f"real data {FJ3} is absent (only present in the team workspace)")
    settings = Settings.load()
    if settings.embedder != "e5" or not settings.e5_model_dir.is_dir():
        pytest.skip("the e5 model is not built (run `make install`)")
    return settings


@pytest.fixture(scope="module")
def sample(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every 伊景园 message of fj3 and the first OTHER others, in file order."""
    with FJ3.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = list(reader)
    hot = [r for r in rows if HOT in r["留言主题"]]
    other = [r for r in rows if HOT not in r["留言主题"]][:OTHER]
    path = tmp_path_factory.mktemp("real") / "fj3_sample.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(sorted(hot + other, key=lambda r: int(r["留言编号"])))
    return path


@pytest.fixture(scope="module")
def report(sample: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from bot.cli.main import main

    out = tmp_path_factory.mktemp("out") / "report.json"
    data_dir = tmp_path_factory.mktemp("var")
    mp = pytest.MonkeyPatch()
    mp.setenv("BOT_DATA_DIR", str(data_dir))
    try:
        assert main(["mine", str(sample), "--out", str(out), "--threads", "1"]) == 0
    finally:
        mp.undo()
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_hot_topic_is_one_cluster_near_the_top(report: dict, sample: Path) -> None:
    with sample.open(encoding="utf-8") as handle:
        text_of = {n: r["留言主题"] for n, r in enumerate(csv.DictReader(handle), 2)}
    hot_rows = {n for n, t in text_of.items() if HOT in t}
    best = max(report["clusters"],
               key=lambda c: len(hot_rows & {m["row"] for m in c["members"]}))
    members = {m["row"] for m in best["members"]}
    assert len(hot_rows & members) >= 0.6 * len(hot_rows)
    assert len(hot_rows & members) >= 0.9 * len(members)  # and little else
    assert best["rank"] <= 3
    assert HOT in best["representative"]


def test_members_are_rows_of_the_sample(report: dict, sample: Path) -> None:
    with sample.open(encoding="utf-8") as handle:
        count = sum(1 for _ in csv.DictReader(handle))
    rows = [m["row"] for c in report["clusters"] for m in c["members"]]
    assert len(rows) == len(set(rows))
    assert all(2 <= r <= count + 1 for r in rows)


def test_every_cluster_is_compared_with_the_knowledge_base(report: dict,
                                                           settings: Settings) -> None:
    if not (settings.index_dir / "CURRENT").is_file():
        pytest.skip("no FAQ index built (run `make install`)")
    assert {c["coverage"] for c in report["clusters"]} <= {"covered", "partial", "new"}
    assert all(c["nearest_faq_id"] for c in report["clusters"])
    # Messages about a housing estate's parking spaces are not in the hotline FAQ base.
    assert report["clusters"][0]["coverage"] == "new"


def test_known_faq_paraphrases_are_covered(settings: Settings, tmp_path: Path) -> None:
    if not (settings.index_dir / "CURRENT").is_file():
        pytest.skip("no FAQ index built (run `make install`)")
    from bot.embed.factory import make_embedder
    from bot.engine.service import FaqService
    from bot.index.versions import IndexStore
    from bot.mining.pipeline import MineOptions, mine
    from bot.mining.rows import MinedRow
    from bot.mining.vectorcache import CachedEmbedder

    embedder = CachedEmbedder(make_embedder(settings), tmp_path / "cache")
    service = FaqService(IndexStore(settings.index_dir), embedder, None, settings)
    texts = ["社保卡丢了怎么办", "社保卡掉了怎么补办", "我的社保卡丢了去哪里补",
             "社保卡不见了怎么补"]
    rows = [MinedRow("/log", n, t) for n, t in enumerate(texts, 1)]
    report = mine(rows, embedder, service=service, options=MineOptions(min_size=3))
    assert len(report.clusters) == 1
    cluster = report.clusters[0]
    # SB002 "社会保障卡遗失了如何挂失和补办？" already answers these (its score is ~0.93).
    assert (cluster.nearest_faq_id, cluster.coverage) == ("SB002", "covered")
    assert cluster.to_json()["flag"] == "gap_in_similar_questions_or_thresholds"
