"""Building, sealing and loading index versions of a knowledge base.

A build embeds only the question texts the current version does not already hold (so adding
one entry embeds one entry's questions), builds the FAISS index, calibrates the thresholds
on labelled queries when given, and publishes the version atomically. Any failure discards
the staging folder and leaves the serving version untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.embed.base import Embedder
from bot.engine.calibrate import ScoredQuery, calibrate
from bot.engine.lexical import LexicalScorer
from bot.engine.matcher import FaqMatcher, embedding_text
from bot.engine.queries import LabelledQuery
from bot.engine.types import Thresholds
from bot.errors import IndexBuildError, ModelNotBuiltError
from bot.index.vectors import VectorIndex
from bot.index.versions import MANIFEST, IndexStore
from bot.kb.model import FaqEntry, KnowledgeBase
from bot.text.normalize import normalize
from bot.text.tokenize import HotlineTokenizer

log = logging.getLogger(__name__)

FORMAT = 2
# Used only until a calibration run has set real thresholds: nothing is answered directly.
UNCALIBRATED = Thresholds(answer=1.01, margin=0.0, clarify=0.9, calibrated_on="uncalibrated")


def kb_hash(kb: KnowledgeBase) -> str:
    digest = hashlib.sha256()
    for e in kb:
        digest.update(json.dumps(_entry_to_json(e), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def _entry_to_json(e: FaqEntry) -> dict[str, Any]:
    data = asdict(e)
    data["similar_questions"] = list(e.similar_questions)
    data["valid_from"] = e.valid_from.isoformat() if e.valid_from else None
    data["valid_to"] = e.valid_to.isoformat() if e.valid_to else None
    return data


def _entry_from_json(d: dict[str, Any]) -> FaqEntry:
    return FaqEntry(
        faq_id=d["faq_id"],
        category=d["category"],
        question=d["question"],
        similar_questions=tuple(d["similar_questions"]),
        answer=d["answer"],
        department=d.get("department", ""),
        valid_from=date.fromisoformat(d["valid_from"]) if d.get("valid_from") else None,
        valid_to=date.fromisoformat(d["valid_to"]) if d.get("valid_to") else None,
    )


def _rows(kb: KnowledgeBase) -> tuple[np.ndarray, list[str]]:
    """One row per standard or similar question that has something to match."""
    row_entry: list[int] = []
    texts: list[str] = []
    for i, entry in enumerate(kb):
        for question in entry.all_questions:
            if normalize(question):
                row_entry.append(i)
                texts.append(question)
    return np.array(row_entry, dtype=np.int64), texts


def _reusable_vectors(store: IndexStore, embedder: Embedder) -> dict[tuple[str, str], np.ndarray]:
    """Vectors of the serving version keyed by (prompt, embedded text), if it used the same
    embedder: a rebuild embeds only texts the serving version does not hold."""
    path = store.current_path()
    if path is None:
        return {}
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("embedder") != embedder.name or manifest.get("format") != FORMAT:
        return {}
    cache: dict[tuple[str, str], np.ndarray] = {}
    rows = json.loads((path / "rows.json").read_text(encoding="utf-8"))
    vectors = np.load(path / "vectors.npy")
    cache.update(((PASSAGE, embedding_text(r["text"])), vectors[i]) for i, r in enumerate(rows))
    entries = json.loads((path / "entries.json").read_text(encoding="utf-8"))
    answers = np.load(path / "answers.npy")
    cache.update(
        ((PASSAGE, embedding_text(e["answer"])), answers[i]) for i, e in enumerate(entries)
    )
    return cache


PASSAGE = "passage"


def _embed_all(
    embedder: Embedder, texts: list[str], cache: dict[tuple[str, str], np.ndarray]
) -> tuple[np.ndarray, int]:
    """Passage vectors of `texts` (embedding only what the cache lacks), and how many were new."""
    keys = [(PASSAGE, embedding_text(t)) for t in texts]
    missing = sorted({k for k in keys if k not in cache})
    if missing:
        fresh = embedder.embed_passages([text for _, text in missing])
        cache.update(zip(missing, fresh, strict=True))
    return np.stack([cache[k] for k in keys]).astype(np.float32), len(missing)


def score_queries(matcher: FaqMatcher, queries: list[LabelledQuery]) -> list[ScoredQuery]:
    scored = []
    for q in queries:
        s = matcher.score_query(q.query)
        scored.append(
            ScoredQuery(q.expected_faq_id or None, s.ranked_ids, s.top_score, s.second_score)
        )
    return scored


def build_version(
    kb: KnowledgeBase,
    embedder: Embedder,
    store: IndexStore,
    *,
    tokenizer: HotlineTokenizer | None = None,
    exact_max: int = 20000,
    answer_weight: float = 0.4,
    lexical_weight: float = 0.0,
    calibration: list[LabelledQuery] | None = None,
    target_precision: float = 0.95,
    thresholds: Thresholds | None = None,
    note: str = "",
) -> Path:
    """Build and publish a new version; return its folder. Raises IndexBuildError."""
    if len(kb) == 0:
        raise IndexBuildError("the knowledge base has no entries; nothing to index")
    started = time.perf_counter()
    staging = store.staging()
    try:
        embedder.load()
        row_entry, texts = _rows(kb)
        cache = _reusable_vectors(store, embedder)
        vectors, new_rows = _embed_all(embedder, texts, cache)
        answer_vectors, new_answers = _embed_all(embedder, [e.answer for e in kb], cache)
        index = VectorIndex.build(vectors, exact_max)
        answers = VectorIndex.build(answer_vectors, exact_max)
        lexical = None
        if lexical_weight > 0:
            lexical = LexicalScorer(tokenizer or HotlineTokenizer(None), texts)
        name = store.new_version_name(kb_hash(kb))
        matcher = FaqMatcher(
            kb.entries,
            row_entry,
            texts,
            index,
            answers,
            embedder,
            thresholds or UNCALIBRATED,
            name,
            answer_weight,
            lexical,
            lexical_weight,
        )
        calibration_report: dict[str, Any] = {}
        if thresholds is None:
            thresholds = _previous_thresholds(store) or UNCALIBRATED
        if calibration:
            scored = score_queries(matcher, calibration)
            thresholds = calibrate(scored, target_precision, source=note or "labelled queries")
            calibration_report = {"queries": len(calibration)}
        _write(staging, kb, row_entry, texts, vectors, index, answer_vectors, answers)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "embedder": embedder.name,
            "dim": int(vectors.shape[1]),
            "index_kind": index.kind,
            "answer_index_kind": answers.kind,
            "n_entries": len(kb),
            "n_rows": len(texts),
            "kb_hash": kb_hash(kb),
            "thresholds": thresholds.to_dict(),
            "answer_weight": answer_weight,
            "lexical_weight": lexical_weight,
            "embedded_rows": new_rows,
            "embedded_answers": new_answers,
            "calibration": calibration_report,
            "build_seconds": round(time.perf_counter() - started, 3),
            "note": note,
        }
        return store.publish(staging, name, manifest)
    except ModelNotBuiltError:
        store.discard(staging)
        raise
    except Exception as err:
        store.discard(staging)
        if isinstance(err, IndexBuildError):
            raise
        raise IndexBuildError(
            f"building the index failed ({type(err).__name__}: {err}); "
            "the previous version keeps serving"
        ) from err


def _previous_thresholds(store: IndexStore) -> Thresholds | None:
    path = store.current_path()
    if path is None:
        return None
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return Thresholds.from_dict(manifest["thresholds"])


def _write(
    folder: Path,
    kb: KnowledgeBase,
    row_entry: np.ndarray,
    texts: list[str],
    vectors: np.ndarray,
    index: VectorIndex,
    answer_vectors: np.ndarray,
    answers: VectorIndex,
) -> None:
    entries = [_entry_to_json(e) for e in kb]
    (folder / "entries.json").write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    rows = [{"entry": int(e), "text": t} for e, t in zip(row_entry, texts, strict=True)]
    (folder / "rows.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    np.save(folder / "vectors.npy", vectors)
    index.save(folder / "vectors.faiss")
    np.save(folder / "answers.npy", answer_vectors)
    answers.save(folder / "answers.faiss")


def load_version(
    path: Path, embedder: Embedder, tokenizer: HotlineTokenizer | None = None
) -> FaqMatcher:
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise IndexBuildError(f"index version {path.name} has an unknown format; rebuild it")
    if manifest["embedder"] != embedder.name:
        raise IndexBuildError(
            f"index version {path.name} was built with {manifest['embedder']}, "
            f"not {embedder.name}: run `bot build index`"
        )
    entries = tuple(
        _entry_from_json(d) for d in json.loads((path / "entries.json").read_text("utf-8"))
    )
    rows = json.loads((path / "rows.json").read_text("utf-8"))
    row_entry = np.array([r["entry"] for r in rows], dtype=np.int64)
    texts = [r["text"] for r in rows]
    index = VectorIndex.load(path / "vectors.faiss", manifest["index_kind"])
    answers = VectorIndex.load(path / "answers.faiss", manifest["answer_index_kind"])
    weight = float(manifest.get("lexical_weight", 0.0))
    lexical = None
    if weight > 0:
        lexical = LexicalScorer(tokenizer or HotlineTokenizer(None), texts)
    embedder.load()
    return FaqMatcher(
        entries,
        row_entry,
        texts,
        index,
        answers,
        embedder,
        Thresholds.from_dict(manifest["thresholds"]),
        manifest["version"],
        float(manifest.get("answer_weight", 0.0)),
        lexical,
        weight,
    )
