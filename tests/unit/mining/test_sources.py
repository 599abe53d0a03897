"""Reading ticket files: columns found or named, bad input reported, rows kept with their
numbers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.kb.tables import write_table
from bot.mining.sources import parse_time, read_file_rows


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_columns_are_found_by_their_usual_names(tickets_csv: Path) -> None:
    rows, summary = read_file_rows(tickets_csv)
    assert (summary.text_column, summary.time_column) == ("标题", "时间")
    assert (summary.category_column, summary.votes_column) == ("类别", "点赞数")
    assert summary.rows == summary.data_rows == len(rows) == 16


def test_rows_keep_their_spreadsheet_row_numbers(tmp_path: Path) -> None:
    text = "问题,时间\n社保卡怎么补办,2024-01-02\n\n公积金提取,2024-01-03\n"
    path = write_csv(tmp_path / "t.csv", text)
    rows, _ = read_file_rows(path)
    assert [(r.row, r.text) for r in rows] == [(2, "社保卡怎么补办"), (4, "公积金提取")]
    assert rows[0].source == str(path.resolve())


def test_named_columns_win(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "a,b,c,d\n社保卡,2024/3/1 8:30:00,社保,7\n")
    rows, _ = read_file_rows(path, column="a", time_column="b", category_column="c",
                             votes_column="d")
    assert (rows[0].text, rows[0].time, rows[0].category, rows[0].votes) == (
        "社保卡", datetime(2024, 3, 1, 8, 30), "社保", 7)


def test_a_missing_named_column_lists_the_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "编号,留言详情\n1,社保卡\n")
    with pytest.raises(InputError, match="没有名为 '问题' 的列.*编号、留言详情.*--column"):
        read_file_rows(path, column="问题")


def test_no_text_column_found_lists_the_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "编号,详情\n1,社保卡\n")
    with pytest.raises(InputError, match="找不到问题文本列.*编号、详情.*--column"):
        read_file_rows(path)


def test_a_one_column_file_needs_no_column_name(tmp_path: Path) -> None:
    rows, summary = read_file_rows(write_csv(tmp_path / "t.csv", "来电内容\n社保卡怎么办\n"))
    assert (summary.text_column, rows[0].text) == ("来电内容", "社保卡怎么办")


def test_an_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="文件是空的"):
        read_file_rows(write_csv(tmp_path / "t.csv", ""))


def test_a_header_only_file_gives_no_rows(tmp_path: Path) -> None:
    rows, summary = read_file_rows(write_csv(tmp_path / "t.csv", "问题,时间\n"))
    assert rows == [] and summary.data_rows == 0


def test_empty_text_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    text = "问题,时间\n社保卡,2024-01-01\n,2024-01-02\n？？？,2024-01-03\n嗯啊,2024-01-04\n"
    rows, summary = read_file_rows(write_csv(tmp_path / "t.csv", text))
    assert [r.text for r in rows] == ["社保卡"]
    assert summary.skipped_empty == 3


def test_gbk_files_are_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "问题\n社保卡丢了怎么补办\n", encoding="gbk")
    rows, _ = read_file_rows(path)
    assert rows[0].text == "社保卡丢了怎么补办"


def test_a_wrong_encoding_option_is_a_clear_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "问题\n社保卡丢了怎么补办\n", encoding="gbk")
    with pytest.raises(InputError, match="按 utf-8 解码失败"):
        read_file_rows(path, encoding="utf-8")


def test_xlsx_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_table(path, ["留言主题", "留言时间", "点赞数"], [["社保卡", "2019/2/28 11:25:05", "3"]])
    rows, summary = read_file_rows(path)
    assert (rows[0].text, rows[0].votes) == ("社保卡", 3)
    assert rows[0].time == datetime(2019, 2, 28, 11, 25, 5)
    assert summary.text_column == "留言主题"


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="文件不存在"):
        read_file_rows(tmp_path / "nope.csv")


def test_since_drops_older_rows_and_counts_them(tmp_path: Path) -> None:
    text = "问题,时间\n旧问题,2023-12-31\n新问题,2024-01-01 09:00\n无日期,\n"
    rows, summary = read_file_rows(write_csv(tmp_path / "t.csv", text),
                                   since=datetime(2024, 1, 1))
    assert [r.text for r in rows] == ["新问题", "无日期"]
    assert (summary.skipped_before_since, summary.undated) == (1, 1)


def test_unreadable_votes_count_as_zero_and_are_counted(tmp_path: Path) -> None:
    text = "问题,点赞数\n甲问题,12\n乙问题,很多\n丙问题,\n丁问题,-3\n"
    rows, summary = read_file_rows(write_csv(tmp_path / "t.csv", text))
    assert [r.votes for r in rows] == [12, 0, 0, 0]
    assert summary.bad_votes == 1


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2019/2/28 11:25:05", datetime(2019, 2, 28, 11, 25, 5)),
        ("2017-06-08 17:31:20", datetime(2017, 6, 8, 17, 31, 20)),
        ("2024-01-02T08:30", datetime(2024, 1, 2, 8, 30)),
        ("2024-01-02", datetime(2024, 1, 2)),
        ("2024年1月2日", datetime(2024, 1, 2)),
        ("2024年1月2日 8时30分", datetime(2024, 1, 2, 8, 30)),
        ("45292", datetime(2024, 1, 1)),
        ("", None),
        ("昨天", None),
        ("2024-13-40", None),
        ("12", None),
    ],
)
def test_parse_time(cell: str, expected: datetime | None) -> None:
    assert parse_time(cell) == expected


def test_a_named_optional_column_may_be_missing_when_not_strict(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "问题,时间\n社保卡,2024-01-01\n")
    rows, summary = read_file_rows(path, votes_column="点赞数", strict=False)
    assert (rows[0].votes, summary.votes_column) == (0, "")


def test_the_text_column_is_required_even_when_not_strict(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "问题,时间\n社保卡,2024-01-01\n")
    with pytest.raises(InputError, match="没有名为 '内容' 的列"):
        read_file_rows(path, column="内容", strict=False)
