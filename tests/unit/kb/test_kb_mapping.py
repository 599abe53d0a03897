from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import InputError
from bot.kb.mapping import ColumnMapping, parse_map_spec
from bot.kb.tables import read_table


def _table(tmp_path: Path, header: str):
    path = tmp_path / "t.csv"
    path.write_text(f"{header}\n" + ",".join("x" * len(header.split(","))) + "\n")
    return read_table(path)


def test_parse_map_spec() -> None:
    spec = parse_map_spec("question=留言主题, answer = 答复意见，category=")
    assert spec == {"question": "留言主题", "answer": "答复意见", "category": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("question", "缺少 ="),
        ("问题=留言主题", "字段 '问题' 不存在；可用的字段：faq_id, category"),
        ("question=a,question=b", "字段 question 出现了两次"),
        (" , ", "列映射是空的"),
    ],
)
def test_bad_map_spec_is_an_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_map_spec(text)


def test_parse_requires_question_and_answer() -> None:
    assert ColumnMapping.parse("question=主题,answer=答复") == ColumnMapping("主题", "答复")
    with pytest.raises(InputError, match="缺少 answer=列名"):
        ColumnMapping.parse("question=主题")


def test_common_chinese_headers_are_mapped(tmp_path: Path) -> None:
    table = _table(tmp_path, "编号,一级分类,标准问,相似问,答复意见,责任部门,生效日期,失效日期")
    mapping = ColumnMapping.resolve(table)
    assert mapping == ColumnMapping(
        question="标准问",
        answer="答复意见",
        faq_id="编号",
        category="一级分类",
        similar_questions="相似问",
        department="责任部门",
        valid_from="生效日期",
        valid_to="失效日期",
    )


def test_canonical_headers_map_to_themselves(tmp_path: Path) -> None:
    table = _table(tmp_path, "ID,Question,answer,docid")
    assert ColumnMapping.resolve(table) == ColumnMapping("Question", "answer", faq_id="ID")


def test_explicit_mapping_wins_and_the_rest_is_guessed(tmp_path: Path) -> None:
    table = _table(tmp_path, "留言编号,留言主题,留言详情,答复意见,问题")
    mapping = ColumnMapping.resolve(table, parse_map_spec("question=留言主题,faq_id="))
    assert mapping == ColumnMapping("留言主题", "答复意见")
    assert mapping.describe() == "question←留言主题, answer←答复意见"


def test_an_explicit_column_missing_from_the_header(tmp_path: Path) -> None:
    table = _table(tmp_path, "主题,答复")
    with pytest.raises(InputError, match=r"表头里没有列 '留言主题'.*表头有：主题、答复"):
        ColumnMapping.resolve(table, {"question": "留言主题"})


def test_no_question_column_asks_for_map(tmp_path: Path) -> None:
    table = _table(tmp_path, "甲,乙")
    with pytest.raises(InputError, match=r"找不到 question、answer 对应的列.*--map"):
        ColumnMapping.resolve(table)
