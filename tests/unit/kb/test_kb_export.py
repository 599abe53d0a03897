from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.kb import tables
from bot.kb.export import export_kb, write_kb_folder
from bot.kb.importer import import_table
from bot.kb.loader import load_kb
from bot.kb.model import FaqEntry, KnowledgeBase
from tests.unit.kb.kb_helpers import entry_row

KB = KnowledgeBase.of(
    [
        FaqEntry(
            "S1",
            "社保",
            "社保卡怎么补办？",
            ("社保卡丢了", "补社保卡"),
            '到网点补办，带上身份证, "原件"。\n第二行',
            "人社局",
            date(2024, 1, 1),
            date(2025, 12, 31),
        ),
        FaqEntry("G1", "住房 公积金", "=公积金怎么提取", ("取公积金",), "线上办理"),
        FaqEntry("S2", "社保", "社保怎么交", (), "税务局", "", None, date(2030, 1, 1)),
    ]
)


@pytest.mark.parametrize("name", ["kb.csv", "kb.xlsx"])
def test_export_then_import_gives_the_same_entries(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    export_kb(KB, path)
    assert import_table(path).entries == KB.entries
    assert load_kb(path).entries == KB.entries


def test_export_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    export_kb(KB, path, bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbffaq_id,category,question,")
    assert load_kb(path).entries == KB.entries


def test_write_kb_folder_writes_one_csv_per_category(tmp_path: Path) -> None:
    folder = tmp_path / "faq"
    written = write_kb_folder(KB, folder)
    assert sorted(p.name for p in written) == ["住房_公积金.csv", "社保.csv"]
    # Files load in name order: 住房_公积金.csv sorts before 社保.csv.
    assert load_kb(folder).entries == (KB.entries[1], KB.entries[0], KB.entries[2])
    assert load_kb(folder / "社保.csv").entries == (KB.entries[0], KB.entries[2])


def test_write_kb_folder_keeps_entries_in_their_files(write_csv, tmp_path: Path) -> None:
    write_csv(
        "faq/misc.csv", [entry_row("S1"), entry_row("X1", "其他问题", "甲|乙", category="其他")]
    )
    write_csv("faq/old.csv", [entry_row("OLD", "要删除的", "丙|丁")])
    kb = load_kb(tmp_path / "faq")
    kept = [e for e in kb if e.faq_id != "OLD"]
    new_social = FaqEntry("S9", "社保", "新的社保问题", ("说法一", "说法二"), "答")
    new_other = FaqEntry("N1", "新类别", "新问题", ("说法三", "说法四"), "答")
    write_kb_folder(KnowledgeBase.of([*kept, new_social, new_other]), tmp_path / "faq")
    assert sorted(p.name for p in (tmp_path / "faq").iterdir()) == ["misc.csv", "新类别.csv"]
    assert [e.faq_id for e in load_kb(tmp_path / "faq" / "misc.csv")] == ["S1", "X1", "S9"]


def test_a_failed_folder_write_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "faq"
    write_kb_folder(KB, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    calls = {"n": 0}
    real = tables._write_one

    def fail_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(tables, "_write_one", fail_second)
    changed = KnowledgeBase.of(
        [FaqEntry(e.faq_id, e.category, e.question, e.similar_questions, "新答案") for e in KB]
    )
    with pytest.raises(InputError, match="原文件未改动"):
        write_kb_folder(changed, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_write_kb_folder_refuses_a_file_it_cannot_place(tmp_path: Path) -> None:
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "notes.csv").write_text("标题,内容\n甲,乙\n")
    with pytest.raises(InputError, match="没有 faq_id 列"):
        write_kb_folder(KB, folder)
    assert (folder / "notes.csv").exists()


FORMULA_KB = KnowledgeBase.of(
    [
        FaqEntry("F1", "测试", '=HYPERLINK("http://evil","点我")', ("-1 怎么办",), "=1+1 答案"),
        FaqEntry("F2", "测试", "@张三 社保怎么交", (), "+86 打 12345"),
        FaqEntry("F3", "测试", "'引号开头的问题", (), "'=自己带的引号"),
    ]
)


def test_formula_safe_csv_quotes_formulas_and_imports_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    export_kb(FORMULA_KB, path, bom=True, formula_safe=True)
    cells = [row.cells for row in tables.read_table(path).rows]
    assert cells[0][2:5] == ("'" + FORMULA_KB.entries[0].question, "'-1 怎么办", "'=1+1 答案")
    assert cells[1][2] == "'@张三 社保怎么交"
    assert cells[2][2] == "'引号开头的问题"  # not formula-like: written as it is
    assert cells[2][4] == "''=自己带的引号"  # one more, so the import's strip gives it back
    assert import_table(path).entries == FORMULA_KB.entries


def test_formula_safe_leaves_xlsx_cells_alone(tmp_path: Path) -> None:
    path = tmp_path / "kb.xlsx"
    export_kb(FORMULA_KB, path, formula_safe=True)
    assert tables.read_table(path).rows[0].cells[4] == "=1+1 答案"
    assert import_table(path).entries == FORMULA_KB.entries
