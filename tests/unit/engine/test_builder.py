import json
from datetime import date

import pytest

from bot.engine.builder import build_version, load_version
from bot.engine.queries import LabelledQuery
from bot.engine.types import Decision, Thresholds
from bot.errors import IndexBuildError
from bot.kb.model import KnowledgeBase
from tests.support.kb import entry

OPEN = Thresholds(answer=0.0, margin=0.0, clarify=0.0)


class CountingEmbedder:
    """Wraps the fake embedder and counts the passages it embeds."""

    def __init__(self, inner):
        self.inner, self.passages = inner, 0
        self.name, self.dim = inner.name, inner.dim

    def load(self):
        self.inner.load()

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        self.passages += len(texts)
        return self.inner.embed_passages(texts)


def test_build_then_load_ranks_the_matching_entry_first(kb, embedder, index_store):
    path = build_version(kb, embedder, index_store, thresholds=OPEN)
    matcher = load_version(path, embedder)
    result = matcher.ask("社保卡丢了")
    assert result.top.faq_id == "SB001"
    assert result.index_version == path.name


def test_every_question_is_indexed_and_mapped_back(kb, embedder, index_store):
    path = build_version(kb, embedder, index_store, thresholds=OPEN)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["n_rows"] == sum(len(e.all_questions) for e in kb)
    matcher = load_version(path, embedder)
    assert matcher.ask("公积金付房租").top.faq_id == "GJJ001"  # a similar question


def test_adding_one_entry_embeds_only_its_questions(kb, embedder, index_store):
    counting = CountingEmbedder(embedder)
    build_version(kb, counting, index_store, thresholds=OPEN)
    first = counting.passages
    bigger = KnowledgeBase.of([*kb, entry("HJ001", "新生儿怎么落户", "孩子上户口", "宝宝报户口")])
    build_version(bigger, counting, index_store, thresholds=OPEN)
    assert counting.passages - first == 4  # its 3 questions and its answer


def test_failed_build_keeps_the_serving_version(kb, embedder, index_store):
    path = build_version(kb, embedder, index_store, thresholds=OPEN)

    class Broken(CountingEmbedder):
        def embed_passages(self, texts):
            raise RuntimeError("disk full")

    bigger = KnowledgeBase.of([*kb, entry("HJ001", "新生儿怎么落户", "孩子上户口", "宝宝报户口")])
    with pytest.raises(IndexBuildError, match="previous version keeps serving"):
        build_version(bigger, Broken(embedder), index_store, thresholds=OPEN)
    assert index_store.current_name() == path.name
    assert not [p for p in index_store.root.iterdir() if p.name.startswith(".staging")]


def test_empty_kb_is_refused(embedder, index_store):
    with pytest.raises(IndexBuildError, match="no entries"):
        build_version(KnowledgeBase.of([]), embedder, index_store)


def test_calibration_thresholds_are_stored_with_the_version(kb, embedder, index_store):
    queries = [LabelledQuery(q, e.faq_id, "paraphrase") for e in kb for q in e.all_questions]
    queries += [
        LabelledQuery(t, "", "out_of_scope") for t in ("今天天气怎么样", "讲个笑话", "股票")
    ]
    path = build_version(
        kb, embedder, index_store, calibration=queries, target_precision=0.9
    )
    stored = json.loads((path / "manifest.json").read_text())["thresholds"]
    assert stored["target_precision"] == 0.9
    assert load_version(path, embedder).thresholds.answer == stored["answer"]


def test_expired_entry_is_never_offered(embedder, index_store):
    kb = KnowledgeBase.of([
        entry("JY001", "小学入学报名", "小学报名时间", "孩子上小学报名", valid_to=date(2020, 1, 1)),
        entry("JY002", "初中学位申请", "初中报名", "小升初"),
    ])
    matcher = load_version(build_version(kb, embedder, index_store, thresholds=OPEN), embedder)
    ids = [c.faq_id for c in matcher.ask("小学入学报名").candidates]
    assert "JY001" not in ids


def test_meaningless_query_is_handed_over_without_candidates(kb, embedder, index_store):
    matcher = load_version(build_version(kb, embedder, index_store, thresholds=OPEN), embedder)
    result = matcher.ask("？？？！！")
    assert result.decision is Decision.HANDOVER
    assert result.candidates == ()
