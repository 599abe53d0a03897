"""`bot kb check|import|export` through bot.cli.main.main, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from bot.kb.loader import load_kb
from tests.unit.kb.kb_helpers import entry_row

SHEET_HEADER = ("留言编号", "留言主题", "答复意见")


@pytest.fixture
def kb_dir(write_csv, tmp_path: Path, monkeypatch) -> Path:
    write_csv("knowledge_base/faq/社保.csv", [entry_row("S1")])
    monkeypatch.setenv("BOT_KB_DIR", str(tmp_path / "knowledge_base"))
    return tmp_path / "knowledge_base"


@pytest.fixture
def sheet(write_csv) -> Path:
    rows = [
        ("S1", "社保卡丢了怎么补办？", "新答案"),
        ("101", "公积金怎么提取", "线上办理"),
        ("102", "", "没有问题的一行"),
    ]
    return write_csv("sheet.csv", rows, header=SHEET_HEADER, encoding="gbk")


def test_check_clean_default_kb(kb_dir: Path, capsys) -> None:
    assert main(["kb", "check"]) == 0
    assert capsys.readouterr().out == f"{kb_dir}：1 个文件，1 条问答，没有发现问题。\n"


def test_check_prints_each_problem_and_exits_1(write_csv, capsys) -> None:
    path = write_csv(
        "t.csv", [entry_row(answer=""), entry_row("F2", "另一个", "甲|乙", valid_to="x")]
    )
    assert main(["kb", "check", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}:2: answer: 答案为空"
    assert lines[1].startswith(f"{path}:3: valid_to: 日期格式错误：'x'")
    assert lines[2] == f"{path}：1 个文件，2 条问答，发现 2 个问题（答案为空 1，日期格式错误 1）。"


def test_check_min_similar_option(write_csv, capsys) -> None:
    path = write_csv("t.csv", [entry_row(similar="")])
    assert main(["kb", "check", str(path)]) == 1
    assert main(["kb", "check", str(path), "--min-similar", "0"]) == 0


def test_check_missing_path_is_an_error_line(tmp_path: Path, capsys) -> None:
    assert main(["kb", "check", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: 知识库路径 {tmp_path / 'nope'} 不存在")
    assert "Traceback" not in err


def test_import_dry_run_previews_and_writes_nothing(kb_dir: Path, sheet: Path, capsys) -> None:
    before = (kb_dir / "faq" / "社保.csv").read_bytes()
    argv = ["kb", "import", str(sheet), "--map", "question=留言主题,answer=答复意见"]
    assert main([*argv, "--into", str(kb_dir), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 行数据；列映射：faq_id←留言编号, question←留言主题, answer←答复意见" in out
    assert "新增 1 条，修改 1 条，未变 0 条，拒绝 1 行" in out
    assert "修改的条目：S1" in out
    assert f"  {sheet}:4: question: 标准问为空" in out
    assert "（--dry-run：没有写任何文件）" in out
    assert (kb_dir / "faq" / "社保.csv").read_bytes() == before


def test_import_into_the_kb_folder(kb_dir: Path, sheet: Path, capsys) -> None:
    assert main(["kb", "import", str(sheet), "--into", str(kb_dir)]) == 0
    assert f"已写入 {kb_dir / 'faq'}：2 条，2 个文件" in capsys.readouterr().out
    kb = load_kb(kb_dir)
    assert (kb.get("S1").answer, kb.get("S1").category, kb.get("101").category) == (
        "新答案",
        "社保",
        "未分类",
    )
    assert sorted(p.name for p in (kb_dir / "faq").iterdir()) == ["未分类.csv", "社保.csv"]


def test_import_to_a_new_xlsx_then_again_is_unchanged(sheet: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.xlsx"
    assert main(["kb", "import", str(sheet), "--out", str(out)]) == 0
    assert [e.faq_id for e in load_kb(out)] == ["S1", "101"]
    assert main(["kb", "import", str(sheet), "--out", str(out)]) == 0
    assert "新增 0 条，修改 0 条，未变 2 条，拒绝 1 行" in capsys.readouterr().out


def test_import_needs_a_target(sheet: Path, capsys) -> None:
    assert main(["kb", "import", str(sheet)]) == 1
    assert capsys.readouterr().err.startswith("Error: 没有指定写到哪里：用 --out")


def test_import_into_and_out_are_exclusive(sheet: Path, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["kb", "import", str(sheet), "--into", str(tmp_path), "--out", "x.csv"])
    assert caught.value.code == 1
    assert "Error: argument --out: not allowed with argument --into" in capsys.readouterr().err


def test_import_wrong_encoding_is_an_error_line(sheet: Path, capsys) -> None:
    assert main(["kb", "import", str(sheet), "--encoding", "utf-8", "--dry-run"]) == 1
    assert capsys.readouterr().err.startswith(f"Error: {sheet}：按 utf-8 解码失败")


def test_import_bad_map_is_an_error_line(sheet: Path, capsys) -> None:
    assert main(["kb", "import", str(sheet), "--map", "question", "--dry-run"]) == 1
    assert capsys.readouterr().err.startswith("Error: 列映射 'question' 缺少 =")


def test_import_where_every_row_is_rejected_fails(write_csv, capsys) -> None:
    path = write_csv("bad.csv", [("1", "问", "")], header=SHEET_HEADER)
    assert main(["kb", "import", str(path), "--dry-run"]) == 1
    captured = capsys.readouterr()
    assert "拒绝的行（答案为空 1）：" in captured.out
    assert captured.err.startswith(f"Error: {path}：没有可导入的行，全部 1 行被拒绝")


def test_import_into_an_invalid_kb_names_its_problems(write_csv, sheet: Path, tmp_path, capsys):
    write_csv("kb/a.csv", [entry_row(answer="")])
    assert main(["kb", "import", str(sheet), "--into", str(tmp_path / "kb")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: 知识库 {tmp_path / 'kb'} 有 1 个问题，无法使用：")
    assert f"{tmp_path / 'kb' / 'a.csv'}:2: answer: 答案为空" in err


def test_import_old_xls_is_an_error_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    assert main(["kb", "import", str(path), "--dry-run"]) == 1
    assert capsys.readouterr().err.startswith(f"Error: {path}：旧版 Excel (.xls) 格式不支持")


def test_export_default_kb(kb_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "all.xlsx"
    assert main(["kb", "export", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"已导出 1 条问答到 {out}\n"
    assert load_kb(out).entries == load_kb(kb_dir).entries


def test_export_to_an_unknown_format_is_an_error_line(kb_dir: Path, capsys) -> None:
    assert main(["kb", "export", "--out", "kb.json"]) == 1
    assert capsys.readouterr().err.startswith("Error: kb.json：只能写 .csv 或 .xlsx 文件")


def test_kb_without_an_action_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["kb"])
    assert caught.value.code == 1
    assert "Error: the following arguments are required: ACTION" in capsys.readouterr().err


def test_import_with_an_unclosed_quote_is_an_error_line_not_a_lost_row(tmp_path, capsys) -> None:
    path = tmp_path / "unclosed.csv"
    path.write_bytes(
        b"faq_id,category,question,similar_questions,answer,department,valid_from,valid_to\n"
        + 'TEST006,测试,"未闭合的引号,答案,,,\nTEST007,测试,问题,,答案,,,\n'.encode()
    )
    assert main(["kb", "import", str(path), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {path}：")
    assert "引号未闭合：从第 2 行起的内容被当成了一个单元格" in err


def test_import_with_a_quoted_multi_line_cell_keeps_every_row(tmp_path, capsys) -> None:
    path = tmp_path / "multi.csv"
    path.write_bytes(
        "留言编号,留言主题,答复意见\n"
        '201,社保卡丢了怎么补办,"第一步：挂失\n第二步：补办"\n'
        "202,公积金怎么提取,线上办理\n".encode()
    )
    assert main(["kb", "import", str(path), "--dry-run", "--out", str(tmp_path / "o.csv")]) == 0
    out = capsys.readouterr().out
    assert "2 行数据" in out and "新增 2 条" in out and "拒绝 0 行" in out
