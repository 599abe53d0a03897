"""Import the real public sheets in ../shared/data (never copied into the repo).

Run with `-s` to see the counts and timings. Skips where the data is absent; point
BOT_SHARED_DATA at a copy elsewhere.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.kb.export import export_kb, write_kb_folder
from bot.kb.importer import ImportResult, import_table
from bot.kb.loader import check_kb, load_kb
from bot.kb.model import KnowledgeBase

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("BOT_SHARED_DATA", REPO_ROOT / ".." / "shared" / "data")).resolve()
FJ4 = DATA / "tipdm2020c_smart_gov" / "fj4_messages_official_replies_full"
NCP = DATA / "ncp_policies_qa" / "NCPPolicies_train_20200301.csv"
FAQ_EVAL_KB = DATA / "faq_eval_dev" / "kb.csv"
FJ4_MAP = "question=留言主题,answer=答复意见"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data {path} is absent (set BOT_SHARED_DATA to the shared data folder)")
    return path


def _timed_import(path: Path, mapping: str | None = None, **kwargs) -> ImportResult:
    start = time.perf_counter()
    result = import_table(path, mapping, **kwargs)
    seconds = time.perf_counter() - start
    kinds = dict(result.rejected_by_kind())
    print(
        f"\n{path.name}: {result.rows_read} rows, {len(result.entries)} accepted, "
        f"{len(result.rejected)} rejected {kinds}, {seconds:.2f} s"
    )
    return result


def test_fj4_xlsx_imports_with_a_column_mapping() -> None:
    result = _timed_import(_need(FJ4.with_suffix(".xlsx")), FJ4_MAP)
    assert result.rows_read == 2816
    assert result.mapping.describe() == "faq_id←留言编号, question←留言主题, answer←答复意见"
    # Citizens post the same subject again; four official replies exceed the answer limit.
    assert result.rejected_by_kind() == Counter({"问题重复": 50, "答案过长": 4})
    assert len(result.entries) == 2762
    assert len({e.faq_id for e in result.entries}) == 2762
    assert {e.category for e in result.entries} == {"未分类"}


def test_fj4_import_cli_writes_a_kb_that_passes_check(tmp_path: Path, capsys) -> None:
    from bot.cli.main import main

    out = tmp_path / "fj4.xlsx"
    source = _need(FJ4.with_suffix(".xlsx"))
    assert main(["kb", "import", str(source), "--map", FJ4_MAP, "--out", str(out)]) == 0
    assert "新增 2762 条，修改 0 条，未变 0 条，拒绝 54 行" in capsys.readouterr().out
    # Imported sheets have no similar questions, so the editorial minimum is lifted.
    assert main(["kb", "check", str(out), "--min-similar", "0"]) == 0
    assert capsys.readouterr().out.endswith("1 个文件，2762 条问答，没有发现问题。\n")


def test_fj4_csv_gives_the_same_entries_as_the_xlsx() -> None:
    from_xlsx = import_table(_need(FJ4.with_suffix(".xlsx")), FJ4_MAP)
    from_csv = _timed_import(_need(FJ4.with_suffix(".csv")), FJ4_MAP)
    assert [e.faq_id for e in from_csv.entries] == [e.faq_id for e in from_xlsx.entries]
    assert [r.row for r in from_csv.rejected] == [r.row for r in from_xlsx.rejected]


def test_fj4_as_gbk_is_detected(tmp_path: Path) -> None:
    text = _need(FJ4.with_suffix(".csv")).read_text(encoding="utf-8")
    gbk = tmp_path / "fj4_gbk.csv"
    gbk.write_bytes(text.encode("gb18030"))  # GB18030 ⊃ GBK; a few characters need it
    result = _timed_import(gbk, FJ4_MAP)
    assert (result.rows_read, len(result.entries)) == (2816, 2762)
    assert result.entries[0].question == "A2区景蓉华苑物业管理有问题"


def test_ncp_tab_separated_imports() -> None:
    start = time.perf_counter()
    result = _timed_import(_need(NCP))
    assert time.perf_counter() - start < 30
    assert result.rows_read == 5000
    assert result.mapping.describe() == "faq_id←id, question←question, answer←answer"
    assert result.rejected_by_kind() == Counter({"问题重复": 53})
    assert len(result.entries) == 4947


def test_ncp_round_trips_through_xlsx_and_the_folder_format(tmp_path: Path) -> None:
    result = import_table(_need(NCP))
    kb = load_kb(_export(result, tmp_path / "ncp.xlsx"))
    assert kb.entries == result.entries
    start = time.perf_counter()
    write_kb_folder(kb, tmp_path / "faq")
    loaded = load_kb(tmp_path / "faq")
    print(f"\nncp folder write + load: {time.perf_counter() - start:.2f} s")
    assert loaded.entries == result.entries


def _export(result: ImportResult, path: Path) -> Path:
    start = time.perf_counter()
    export_kb(KnowledgeBase.of(result.entries), path)
    seconds = time.perf_counter() - start
    print(f"\nexport {len(result.entries)} entries to {path.suffix}: {seconds:.2f} s")
    return path


def test_faq_eval_dev_kb_passes_the_bundled_check() -> None:
    assert check_kb(_need(FAQ_EVAL_KB)) == []
    assert len(load_kb(FAQ_EVAL_KB)) == 60
