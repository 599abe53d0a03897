"""`bot mine` end to end on the fake embedder: output, report files and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main

from .conftest import THRESHOLD


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the tests: jieba builds its cache there once (seconds), not per test."""
    return tmp_path_factory.mktemp("build")


@pytest.fixture(autouse=True)
def env(tmp_path: Path, build_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_EMBEDDER", "fake")
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BOT_BUILD_DIR", str(build_dir))  # no index there: coverage unknown
    monkeypatch.setenv("BOT_KB_DIR", str(tmp_path / "kb"))


def mine(*args: str) -> int:
    return main(["mine", "--threshold", str(THRESHOLD), *args])


def test_json_report(tickets_csv: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.json"
    assert mine(str(tickets_csv), "--out", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [c["size"] for c in data["clusters"]] == [5, 4, 3]
    assert data["sources"][0]["text_column"] == "标题"
    printed = capsys.readouterr()
    assert "至少 3 条的 3 个" in printed.out
    assert data["clusters"][0]["representative"] in printed.out
    assert "tickets.csv：16 条" in printed.err


def test_xlsx_report(tickets_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    assert mine(str(tickets_csv), "--out", str(out), "--min-size", "4") == 0
    from bot.kb.tables import read_table

    assert len(read_table(out).rows) == 2


def test_the_second_run_is_incremental(tickets_csv: Path, capsys) -> None:
    assert mine(str(tickets_csv)) == 0
    assert mine(str(tickets_csv)) == 0
    assert "新增 0 条" in capsys.readouterr().out


def error_of(capsys, *args: str) -> str:
    assert mine(*args) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("Error: ") and "Traceback" not in err
    return err


def test_an_empty_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert "文件是空的" in error_of(capsys, str(path))


def test_a_missing_column_lists_the_columns(tickets_csv: Path, capsys) -> None:
    err = error_of(capsys, str(tickets_csv), "--column", "内容")
    assert "编号、标题、时间、类别、点赞数" in err


def test_fewer_rows_than_min_size(tmp_path: Path, capsys) -> None:
    path = tmp_path / "small.csv"
    path.write_text("问题\n社保卡丢了\n公积金提取\n", encoding="utf-8")
    assert "只有 2 条问题，少于 --min-size 3" in error_of(capsys, str(path))


def test_only_empty_texts(tmp_path: Path, capsys) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("问题,时间\n,2024-01-01\n？？,2024-01-02\n", encoding="utf-8")
    assert "没有可以分析的问题" in error_of(capsys, str(path))


def test_a_wrong_encoding(tmp_path: Path, capsys) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("问题\n社保卡丢了\n".encode("gbk"))
    assert "按 utf-8 解码失败" in error_of(capsys, str(path), "--encoding", "utf-8")


def test_no_sources(capsys) -> None:
    assert "没有要分析的数据" in error_of(capsys)


def test_a_bad_out_suffix_fails_before_reading(tickets_csv: Path, tmp_path: Path,
                                               capsys) -> None:
    assert "只能写成" in error_of(capsys, str(tickets_csv), "--out", str(tmp_path / "r.pdf"))


def test_log_without_a_database(capsys) -> None:
    assert "没有对话记录" in error_of(capsys, "--log")


def test_a_bad_since_date(tickets_csv: Path, capsys) -> None:
    assert "--since" in error_of(capsys, str(tickets_csv), "--since", "2024-13-01")


@pytest.mark.parametrize(("option", "value"), [("--min-size", "1"), ("--threshold", "1.5")])
def test_bad_numbers(tickets_csv: Path, capsys, option: str, value: str) -> None:
    assert option in error_of(capsys, str(tickets_csv), option, value)


def test_a_named_column_in_some_of_several_files(tickets_csv: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("标题\n社保卡丢了怎么补办啊\n", encoding="utf-8")
    out = tmp_path / "r.json"
    assert mine(str(tickets_csv), str(other), "--votes-column", "点赞数", "--out", str(out)) == 0
    sources = json.loads(out.read_text(encoding="utf-8"))["sources"]
    assert [s["votes_column"] for s in sources] == ["点赞数", ""]


def test_a_named_column_in_none_of_several_files(tickets_csv: Path, tmp_path: Path,
                                                 capsys) -> None:
    other = tmp_path / "other.csv"
    other.write_text("标题\n社保卡丢了怎么补办啊\n", encoding="utf-8")
    err = error_of(capsys, str(tickets_csv), str(other), "--votes-column", "赞")
    assert "都没有这一列" in err
