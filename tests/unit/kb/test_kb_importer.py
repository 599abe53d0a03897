from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.kb.importer import generated_id, import_table
from bot.kb.mapping import ColumnMapping
from bot.kb.model import Problem

HEADER = ("留言编号", "留言主题", "答复意见", "一级分类", "相似问", "生效日期")
MAP = "question=留言主题,answer=答复意见"


@pytest.fixture
def sheet(write_csv):
    def make(rows, header=HEADER, name="sheet.csv", encoding="utf-8"):
        return write_csv(name, rows, header=header, encoding=encoding)

    return make


def test_rows_are_mapped_to_entries(sheet) -> None:
    path = sheet([("101", "公积金怎么提取", "线上办理", "住房", "公积金提取|取公积金", "2024/1/5")])
    result = import_table(path, MAP)
    (entry,) = result.entries
    assert (entry.faq_id, entry.question, entry.answer, entry.category) == (
        "101",
        "公积金怎么提取",
        "线上办理",
        "住房",
    )
    assert (entry.similar_questions, entry.valid_from) == (
        ("公积金提取", "取公积金"),
        date(2024, 1, 5),
    )
    assert (result.rows_read, result.rejected) == (1, ())


def test_gbk_sheet_imports(sheet) -> None:
    path = sheet([("1", "户口迁移怎么办", "到派出所办理", "", "", "")], encoding="gbk")
    assert import_table(path, MAP).entries[0].question == "户口迁移怎么办"


def test_missing_id_is_generated_stably_and_category_defaults(sheet) -> None:
    path = sheet([("", "户口迁移怎么办？", "到派出所办理", "", "", "")])
    (entry,) = import_table(path, MAP).entries
    assert entry.faq_id == generated_id("IMP", "户口 迁移怎么办")
    assert entry.faq_id.startswith("IMP-") and len(entry.faq_id) == 16
    assert entry.category == "未分类"


def test_id_prefix_and_default_category_are_options(sheet) -> None:
    path = sheet([("", "户口迁移怎么办", "到派出所办理", "", "", "")])
    result = import_table(path, MAP + ",faq_id=", id_prefix="HK", default_category="户籍")
    assert result.entries[0].faq_id.startswith("HK-")
    assert result.entries[0].category == "户籍"


def test_rejected_rows_have_reasons_and_good_rows_are_kept(sheet) -> None:
    path = sheet(
        [
            ("1", "公积金怎么提取", "线上办理", "", "", ""),
            ("2", "", "没有问题", "", "", ""),
            ("3", "没有答案", "", "", "", ""),
            ("4", "公积金 怎么提取？", "另一个答案", "", "", ""),
            ("1", "编号重复的问题", "答", "", "", ""),
            ("6", "日期错了", "答", "", "", "明天"),
            ("7", "问" * 201, "答", "", "", ""),
            ("8", "有效的第二条", "答", "", "", ""),
        ]
    )
    result = import_table(path, MAP)
    assert [e.faq_id for e in result.entries] == ["1", "8"]
    source = str(path)
    assert list(result.rejected) == [
        Problem(source, 3, "question", "标准问为空"),
        Problem(source, 4, "answer", "答案为空"),
        Problem(
            source,
            5,
            "question",
            "问题重复：'公积金 怎么提取？' 与第 2 行（1）的 '公积金怎么提取' 相同",
        ),
        Problem(source, 6, "faq_id", "编号重复：'1' 已在第 2 行使用"),
        Problem(source, 7, "valid_from", "日期格式错误：'明天'，应为 YYYY-MM-DD，例如 2024-01-31"),
        Problem(source, 8, "question", "标准问过长：201 字，上限 200 字"),
    ]
    assert result.rejected_by_kind() == {
        "标准问为空": 1,
        "答案为空": 1,
        "问题重复": 1,
        "编号重复": 1,
        "日期格式错误": 1,
        "标准问过长": 1,
    }


def test_similar_questions_are_cleaned_not_rejected(sheet) -> None:
    path = sheet(
        [("1", "公积金怎么提取", "答", "", "取公积金||公积金怎么提取？|取公积金\n提取流程|", "")]
    )
    (entry,) = import_table(path, MAP).entries
    assert entry.similar_questions == ("取公积金", "提取流程")


def test_min_similar_rejects_when_asked(sheet) -> None:
    path = sheet([("1", "公积金怎么提取", "答", "", "取公积金", "")])
    (problem,) = import_table(path, MAP, min_similar=2).rejected
    assert problem.message == "相似问太少：只有 1 条，至少需要 2 条"


def test_limit_reads_only_the_first_rows(sheet) -> None:
    path = sheet([(str(i), f"问题{i}", "答", "", "", "") for i in range(10)])
    result = import_table(path, MAP, limit=3)
    assert (result.rows_read, len(result.entries)) == (3, 3)
    with pytest.raises(InputError, match="--limit 0 无效"):
        import_table(path, MAP, limit=0)


def test_a_complete_column_mapping_is_not_guessed(sheet) -> None:
    path = sheet([("101", "公积金怎么提取", "线上办理", "住房", "", "")])
    (entry,) = import_table(path, ColumnMapping("留言主题", "答复意见")).entries
    assert (entry.faq_id.startswith("IMP-"), entry.category) == (True, "未分类")


def test_header_only_sheet_is_an_input_error(sheet) -> None:
    with pytest.raises(InputError, match="只有表头，没有数据行"):
        import_table(sheet([]), MAP)


def test_a_sheet_without_matching_columns_is_an_input_error(sheet) -> None:
    path = sheet([("a", "b")], header=("甲", "乙"))
    with pytest.raises(InputError, match="找不到 question、answer 对应的列"):
        import_table(path)


def test_xlsx_sheet_imports(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "s.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["编号", "问题", "答案"])
    workbook.active.append([12, "社保怎么交", "到税务局"])
    workbook.save(path)
    (entry,) = import_table(path).entries
    assert (entry.faq_id, entry.question) == ("12", "社保怎么交")


def test_generated_id_ignores_punctuation_and_width() -> None:
    assert generated_id("IMP", "社保怎么交？") == generated_id("IMP", "社保 怎么交?")
    assert generated_id("IMP", "社保怎么交") != generated_id("IMP", "医保怎么交")
