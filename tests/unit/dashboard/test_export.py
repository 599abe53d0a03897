"""Each view's CSV and XLSX read back (csv, openpyxl) to the numbers the JSON gives."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from bot.dashboard.export import to_csv
from bot.dashboard.views import Column, View

RANGE = {"since": "2026-03-02", "until": "2026-03-04"}


def download(client: TestClient, view: str, fmt: str, **params: Any) -> tuple[bytes, str]:
    response = client.get(
        f"/api/dashboard/export/{view}", params={**RANGE, "format": fmt, **params}
    )
    assert response.status_code == 200, response.text
    return response.content, response.headers["content-disposition"]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> tuple[list[tuple[Any, ...]], Any]:
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)], book


def test_summary_csv(manager: TestClient) -> None:
    content, disposition = download(manager, "summary", "csv")
    rows = csv_rows(content)
    assert rows[0] == ["指标", "数值"]
    values = dict((r[0], r[1]) for r in rows[1:])
    assert values["会话"] == "12" and values["分流率"] == "0.3636"
    assert values["其中市民确认有帮助"] == "2" and values["其中未确认"] == "2"
    assert values["转人工：置信度低"] == "2" and values["工单"] == "1"
    assert values["反馈：有帮助"] == "2" and values["反馈：没帮助"] == "1"
    assert 'filename="dashboard-summary-2026-03-02-2026-03-04-citizens.csv"' in disposition


def test_summary_xlsx_keeps_numbers_and_shows_rates_as_percentages(manager: TestClient) -> None:
    content, disposition = download(manager, "summary", "xlsx")
    rows, book = xlsx_rows(content)
    values = {r[0]: r[1] for r in rows[1:]}
    assert values["会话"] == 12 and values["放弃"] == 1
    assert values["已确认分流率"] == pytest.approx(0.1818)
    sheet = book.worksheets[0]
    rate_row = [r[0] for r in rows].index("分流率") + 1
    assert sheet.cell(row=rate_row, column=2).number_format == "0.0%"
    assert book.sheetnames == ["概览", "说明"]
    assert "2026-03-02 至 2026-03-04" in book["说明"]["A1"].value
    assert disposition.endswith('.xlsx"')


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_series_by_day(manager: TestClient, fmt: str) -> None:
    content, _ = download(manager, "series", fmt, by="day")
    rows = csv_rows(content) if fmt == "csv" else xlsx_rows(content)[0]
    assert list(rows[0][:4]) == ["分组", "会话", "已结束", "进行中"]
    assert [(r[0], int(r[1])) for r in rows[1:]] == [
        ("2026-03-02", 5),
        ("2026-03-03", 5),
        ("2026-03-04", 2),
    ]
    rates = [float(r[7]) for r in rows[1:]]
    assert rates == [0.4, 0.4, 0.0]


def test_series_by_channel_is_named_after_its_grouping(manager: TestClient) -> None:
    content, disposition = download(manager, "series", "xlsx", by="channel")
    rows, book = xlsx_rows(content)
    assert book.sheetnames[0] == "按渠道"
    assert [(r[0], r[1]) for r in rows[1:]] == [("网页聊天", 7), ("语音", 3), ("电话", 2)]
    assert "dashboard-series-channel-" in disposition


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_top_faqs(manager: TestClient, fmt: str) -> None:
    content, _ = download(manager, "top-faqs", fmt)
    rows = csv_rows(content) if fmt == "csv" else xlsx_rows(content)[0]
    assert [tuple(str(v) for v in r) for r in rows[1:]] == [
        ("1", "F1", "身份证丢了怎么补办", "户政", "2", "1", "0"),
        ("2", "F2", "医保怎么报销", "社保", "2", "1", "1"),
        ("3", "F3", "公积金怎么提取", "公积金", "1", "0", "0"),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_unanswered(manager: TestClient, fmt: str) -> None:
    content, _ = download(manager, "unanswered", fmt)
    rows = csv_rows(content) if fmt == "csv" else xlsx_rows(content)[0]
    assert [tuple(str(v) for v in r) for r in rows] == [
        ("排名", "问题", "次数"),
        ("1", "社保卡丢了怎么补办", "2"),
        ("2", "公积金怎么提取", "1"),
        ("3", "医保怎么报销", "1"),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_staffing_matches_the_json(manager: TestClient, fmt: str) -> None:
    params = {"aht_s": "600", "service_level": "0.9", "answer_within_s": "30"}
    body = manager.get("/api/dashboard/staffing", params={**RANGE, **params}).json()
    content, _ = download(manager, "staffing", fmt, **params)
    rows = csv_rows(content) if fmt == "csv" else xlsx_rows(content)[0]
    assert len(rows) == 25 and rows[0][0] == "时段" and rows[0][5] == "所需坐席"
    for row, want in zip(rows[1:], body["rows"], strict=True):
        assert row[0] == want["label"]
        assert float(row[2]) == want["calls_per_hour"]
        assert int(row[5]) == want["agents_needed"]
        assert float(row[6]) == want["service_level_achieved"]
    assert int(rows[11][5]) == body["rows"][10]["agents_needed"] >= 1


def test_export_needs_the_role(client_as: Any) -> None:
    assert client_as("ed").get("/api/dashboard/export/summary").status_code == 403


def test_a_formula_typed_by_a_citizen_is_written_as_text() -> None:
    view = View(
        "unanswered",
        "未解答问题",
        (Column("text", "问题", "text"), Column("count", "次数")),
        ({"text": "=HYPERLINK(\"http://x\")", "count": 1}, {"text": None, "count": 2}),
        {},
    )
    rows = csv_rows(to_csv(view))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "1"]
    assert rows[2] == ["", "2"]
