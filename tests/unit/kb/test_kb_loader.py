from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.kb.errors import KbValidationError
from bot.kb.loader import check_kb, kb_files, load_kb
from bot.kb.model import COLUMNS, Problem
from tests.unit.kb.kb_helpers import entry_row


def _problems(write_csv, rows, name: str = "社保.csv", **kwargs) -> list[tuple[int, str, str]]:
    path = write_csv(name, rows, **{k: v for k, v in kwargs.items() if k == "header"})
    min_similar = kwargs.get("min_similar", 2)
    return [(p.row, p.field, p.message) for p in check_kb(path, min_similar=min_similar)]


def test_a_clean_folder_loads_every_file_in_name_order(write_csv, tmp_path: Path) -> None:
    write_csv(
        "kb/b_公积金.csv", [entry_row("G1", "公积金怎么提取？", "公积金提取流程|怎么取公积金")]
    )
    write_csv("kb/a_社保.csv", [entry_row("S1")])
    write_csv("kb/~$a_社保.csv", [entry_row("LOCK")])  # Excel's lock file is not knowledge
    (tmp_path / "kb" / "README.txt").write_text("说明")
    kb = load_kb(tmp_path / "kb", min_similar=2)
    assert [e.faq_id for e in kb] == ["S1", "G1"]
    assert kb.get("S1").similar_questions == ("社保卡遗失去哪里补", "社保卡坏了怎么换")
    assert check_kb(tmp_path / "kb") == []


def test_all_fields_are_parsed(write_csv) -> None:
    path = write_csv("t.csv", [entry_row(valid_from="2024-01-01", valid_to="2024-12-31")])
    (entry,) = load_kb(path)
    assert (entry.category, entry.department, entry.valid_from, entry.valid_to) == (
        "社保",
        "人社局",
        date(2024, 1, 1),
        date(2024, 12, 31),
    )


def test_optional_columns_may_be_absent(write_csv) -> None:
    header = ("faq_id", "category", "question", "answer")
    path = write_csv("t.csv", [("F1", "社保", "问", "答")], header=header)
    (entry,) = load_kb(path)
    assert (entry.similar_questions, entry.department, entry.valid_from) == ((), "", None)


def test_kb_dir_with_a_faq_subfolder_is_found(write_csv, tmp_path: Path) -> None:
    write_csv("knowledge_base/faq/社保.csv", [entry_row()])
    (tmp_path / "knowledge_base" / "dict").mkdir()
    assert [p.name for p in kb_files(tmp_path / "knowledge_base")] == ["社保.csv"]


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (entry_row(answer=""), "answer", "答案为空"),
        (entry_row(question=""), "question", "标准问为空"),
        (entry_row(faq_id=""), "faq_id", "编号为空：每条都要有唯一编号"),
        (entry_row(faq_id="F 1"), "faq_id", "编号含空白：'F 1'，编号里不能有空格或换行"),
        (entry_row(category=""), "category", "类别为空：填写这条问答所属的类别"),
        (entry_row(question="问" * 201), "question", "标准问过长：201 字，上限 200 字"),
        (entry_row(answer="答" * 5001), "answer", "答案过长：5001 字，上限 5000 字"),
        (
            entry_row(similar="社保卡遗失|" + "问" * 201),
            "similar_questions",
            "相似问过长：201 字，上限 200 字",
        ),
        (
            entry_row(valid_from="2024/01/01"),
            "valid_from",
            "日期格式错误：'2024/01/01'，应为 YYYY-MM-DD，例如 2024-01-31",
        ),
        (
            entry_row(valid_to="2024-02-30"),
            "valid_to",
            "日期格式错误：'2024-02-30'，应为 YYYY-MM-DD，例如 2024-01-31",
        ),
        (
            entry_row(valid_from="2024-05-01", valid_to="2024-04-30"),
            "valid_to",
            "日期顺序错误：失效日期 2024-04-30 早于生效日期 2024-05-01",
        ),
    ],
)
def test_each_field_problem_is_located(write_csv, row, field, message) -> None:
    path = write_csv("社保.csv", [entry_row("OK1", "别的问题", "别的说法一|别的说法二"), row])
    assert check_kb(path) == [Problem(str(path), 3, field, message)]


@pytest.mark.parametrize(
    "similar", ["社保卡遗失||社保卡坏了", "社保卡遗失|社保卡坏了|", "|社保卡遗失|x"]
)
def test_empty_similar_question_is_a_problem(write_csv, similar: str) -> None:
    (problem,) = _problems(write_csv, [entry_row(similar=similar)])
    assert problem[:2] == (2, "similar_questions")
    assert problem[2].startswith("相似问为空：")


def test_too_few_similar_questions_depends_on_min_similar(write_csv) -> None:
    rows = [entry_row(similar="只有一条")]
    assert _problems(write_csv, rows) == [
        (2, "similar_questions", "相似问太少：只有 1 条，至少需要 2 条（用 | 分隔）")
    ]
    assert _problems(write_csv, rows, min_similar=0) == []


def test_duplicate_id_across_files_names_the_first(write_csv, tmp_path: Path) -> None:
    first = write_csv("kb/a.csv", [entry_row("F1")])
    other = entry_row("X", "第三个问题", "说法丙|说法丁")
    second = write_csv("kb/b.csv", [other, entry_row("F1", "另一个问题", "说法甲|说法乙")])
    problems = check_kb(tmp_path / "kb")
    assert problems == [
        Problem(str(second), 3, "faq_id", f"编号重复：'F1' 已在 {first} 第 2 行使用")
    ]


def test_duplicate_question_ignores_spacing_width_and_punctuation(write_csv) -> None:
    rows = [
        entry_row("F1", "社保卡丢了怎么补办？", "甲说法|乙说法"),
        entry_row("F2", "别的问题", "社保卡 丢了,怎么补办 !|丙说法"),
    ]
    path = write_csv("社保.csv", rows)
    assert check_kb(path) == [
        Problem(
            str(path),
            3,
            "similar_questions",
            f"问题重复：'社保卡 丢了,怎么补办 !' 与{path} 第 2 行（F1）的标准问 "
            "'社保卡丢了怎么补办？' 相同（忽略空格和标点）",
        )
    ]


def test_duplicate_within_one_entry(write_csv) -> None:
    rows = [entry_row("F1", "社保卡丢了怎么补办", "甲说法|甲说法。|社保卡丢了怎么补办？")]
    problems = _problems(write_csv, rows)
    assert problems == [
        (
            2,
            "similar_questions",
            "问题重复：'甲说法。' 与本条的相似问 '甲说法' 相同（忽略空格和标点）",
        ),
        (
            2,
            "similar_questions",
            "问题重复：'社保卡丢了怎么补办？' 与本条的标准问 '社保卡丢了怎么补办' "
            "相同（忽略空格和标点）",
        ),
    ]


def test_missing_required_column(write_csv) -> None:
    header = ("faq_id", "category", "question", "similar_questions")
    problems = _problems(write_csv, [("F1", "社保", "问", "a|b")], header=header)
    assert problems == [(1, "answer", "缺少列：必需的列 answer 不在表头里")]


def test_unknown_and_repeated_columns(write_csv) -> None:
    header = (*COLUMNS, "备注", "answer")
    problems = _problems(write_csv, [entry_row() + ["x", "y"]], header=header)
    assert problems == [
        (1, "备注", f"未知列：'备注'，可用的列是 {','.join(COLUMNS)}"),
        (1, "answer", "列重复：'answer' 出现了两次"),
    ]


def test_a_file_without_a_header(write_csv, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("F1,社保,问,a|b,答\n")
    (problem,) = check_kb(path)
    assert (problem.row, problem.field) == (1, "file")
    assert problem.message.startswith("没有表头：第 1 行应为列名 faq_id,category,")


def test_extra_cells_in_a_row(write_csv) -> None:
    problems = _problems(write_csv, [entry_row() + ["多出来的"]])
    assert problems == [
        (2, "row", "多余的单元格：本行比表头多 1 个非空单元格；含英文逗号的内容要用双引号括起来")
    ]


def test_an_unreadable_file_is_a_problem_and_the_others_are_checked(write_csv, tmp_path) -> None:
    write_csv("kb/a.csv", [entry_row(answer="")])
    (tmp_path / "kb" / "b.csv").write_bytes(b"\x00\x01binary")
    problems = check_kb(tmp_path / "kb")
    assert [(Path(p.file).name, p.row, p.field) for p in problems] == [
        ("a.csv", 2, "answer"),
        ("b.csv", 0, "file"),
    ]
    assert problems[1].message.startswith("不是文本文件")


def test_load_kb_raises_with_every_problem(write_csv) -> None:
    rows = [entry_row(f"F{i}", f"问题{i}", f"说法{i}甲|说法{i}乙", answer="") for i in range(25)]
    path = write_csv("t.csv", rows)
    with pytest.raises(KbValidationError) as caught:
        load_kb(path)
    assert len(caught.value.problems) == 25
    text = str(caught.value)
    assert text.startswith(f"知识库 {path} 有 25 个问题，无法使用：")
    assert f"{path}:2: answer: 答案为空" in text
    assert f"{path}:21: answer: 答案为空" in text
    assert f"{path}:22: answer" not in text
    assert "……还有 5 个问题未列出" in text
    assert isinstance(caught.value, InputError)


def test_load_kb_is_lenient_about_similar_questions_by_default(write_csv) -> None:
    path = write_csv("t.csv", [entry_row(similar="")])
    assert len(load_kb(path)) == 1
    with pytest.raises(KbValidationError, match="相似问太少"):
        load_kb(path, min_similar=2)


def test_missing_path_and_empty_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="知识库路径 .* 不存在"):
        load_kb(tmp_path / "nope")
    with pytest.raises(InputError, match=r"里没有 \.csv 或 \.xlsx 知识库文件"):
        check_kb(tmp_path)
