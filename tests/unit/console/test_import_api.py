"""Bulk import (preview, then apply by token) and export."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from bot.console.config import ConsoleSettings
from bot.store.sql import SqlStore
from tests.unit.console.console_helpers import NEW, ConsoleRig, build_rig, error_of

HEADER = ["编号", "分类", "标准问题", "答复"]
ROWS = [
    ["JT001", "交通", "电动自行车怎么上牌照", "到车管所办理登记。"],  # added
    ["SB002", "社保", "社保卡怎么激活", "带身份证到银行网点激活。"],  # changed (answer)
    ["SB001", "社保", "社保卡丢了怎么补办", "社保卡丢了怎么补办的答案"],  # unchanged
    ["JT002", "交通", "驾驶证到期怎么换", ""],  # rejected: no answer
]


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([HEADER, *rows])
    return out.getvalue()


def _xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _preview(client: TestClient, name: str, data: bytes, **form: str) -> Any:
    return client.post("/api/console/import/preview", files={"file": (name, data)}, data=form)


def _check_standard_preview(body: dict[str, Any]) -> None:
    assert body["added"] == [{"faq_id": "JT001", "question": "电动自行车怎么上牌照"}]
    assert body["changed"] == [{"faq_id": "SB002", "question": "社保卡怎么激活",
                                "fields": ["answer"]}]
    assert body["unchanged"] == 1
    assert body["rejected"] == [{"row": 5, "field": "answer", "message": "答案为空"}]
    assert body["token"]


@pytest.mark.parametrize(("name", "data"), [
    ("faq.csv", _csv(ROWS).encode("utf-8")),
    ("faq.csv", _csv(ROWS).encode("utf-8-sig")),
    ("faq.csv", _csv(ROWS).encode("gbk")),
    ("faq.tsv", _csv(ROWS, "\t").encode("utf-8")),
    ("faq.xlsx", _xlsx(ROWS)),
], ids=["utf8", "utf8-bom", "gbk", "tsv", "xlsx"])
def test_preview_reports_added_changed_unchanged_and_rejected(
    editor: TestClient, name: str, data: bytes
) -> None:
    r = _preview(editor, name, data)
    assert r.status_code == 200, r.text
    _check_standard_preview(r.json())


def test_preview_writes_nothing(rig: ConsoleRig, editor: TestClient) -> None:
    _preview(editor, "faq.csv", _csv(ROWS).encode())
    assert editor.get("/api/console/entries").json()["total"] == 5
    assert rig.console.entries.query.get("SB002").revision == 1  # type: ignore[union-attr]


def test_apply_writes_drafts_and_never_touches_the_serving_index(
    rig: ConsoleRig, editor: TestClient
) -> None:
    token = _preview(editor, "faq.csv", _csv(ROWS).encode()).json()["token"]
    r = editor.post(f"/api/console/import/{token}/apply")
    assert r.status_code == 200
    assert r.json() == {"added": 1, "changed": 1}
    jt = editor.get("/api/console/entries/JT001").json()["entry"]
    sb = editor.get("/api/console/entries/SB002").json()["entry"]
    assert (jt["status"], sb["status"]) == ("draft", "draft")
    assert sb["answer"] == "带身份证到银行网点激活。"
    assert rig.engine.entry("SB002").answer == "社保卡怎么激活的答案"  # type: ignore[union-attr]
    assert rig.console.jobs.claim() == []  # no publish job either


def test_apply_with_submit_puts_them_in_review(editor: TestClient) -> None:
    token = _preview(editor, "faq.csv", _csv(ROWS).encode()).json()["token"]
    editor.post(f"/api/console/import/{token}/apply", params={"submit": "true"})
    assert editor.get("/api/console/entries/JT001").json()["entry"]["status"] == "in_review"


def test_a_token_works_once(editor: TestClient) -> None:
    token = _preview(editor, "faq.csv", _csv(ROWS).encode()).json()["token"]
    assert editor.post(f"/api/console/import/{token}/apply").status_code == 200
    r = editor.post(f"/api/console/import/{token}/apply")
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


def test_a_token_expires(rig: ConsoleRig, editor: TestClient) -> None:
    token = _preview(editor, "faq.csv", _csv(ROWS).encode()).json()["token"]
    rig.clock.advance(minutes=20)
    editor.get("/api/console/me")  # keeps the session (30 min idle) alive
    rig.clock.advance(minutes=11)
    r = editor.post(f"/api/console/import/{token}/apply")
    assert r.status_code == 404
    assert "已过期" in error_of(r)["message"]


def test_another_users_token_is_not_found(editor: TestClient, reviewer: TestClient) -> None:
    token = _preview(editor, "faq.csv", _csv(ROWS).encode()).json()["token"]
    assert reviewer.post(f"/api/console/import/{token}/apply").status_code == 404


def test_an_entry_edited_after_the_preview_makes_apply_409_and_write_nothing(
    editor: TestClient, reviewer: TestClient
) -> None:
    token = _preview(editor, "faq.csv", _csv(ROWS).encode()).json()["token"]
    current = reviewer.get("/api/console/entries/SB002").json()["entry"]
    reviewer.put("/api/console/entries/SB002", json={**current, "answer": "改过了。",
                                                     "revision": current["revision"]})
    r = editor.post(f"/api/console/import/{token}/apply")
    assert r.status_code == 409
    assert editor.get("/api/console/entries/JT001").status_code == 404


def test_explicit_column_mapping(editor: TestClient) -> None:
    data = "主题,回复内容\n电动自行车怎么上牌照,到车管所办理登记。\n".encode()
    r = _preview(editor, "faq.csv", data, mapping_question="主题", mapping_answer="回复内容")
    assert r.status_code == 200, r.text
    assert r.json()["mapping"] == {"question": "主题", "answer": "回复内容"}
    assert len(r.json()["added"]) == 1


def test_a_mapping_to_a_missing_column_is_422(editor: TestClient) -> None:
    r = _preview(editor, "faq.csv", _csv(ROWS).encode(), mapping_question="没有这列")
    assert r.status_code == 422
    assert "没有这列" in error_of(r)["message"]


def test_a_file_in_no_known_encoding_is_422(editor: TestClient) -> None:
    r = _preview(editor, "faq.csv", b"question,answer\n\x80\xff\x80,x\n")
    assert r.status_code == 422
    error = error_of(r)
    assert error["field"] == "file"
    assert "既不是 UTF-8 也不是 GBK" in error["message"]
    assert "faq.csv" in error["message"] and "/tmp" not in error["message"]


def test_a_malformed_xlsx_is_422(editor: TestClient) -> None:
    r = _preview(editor, "faq.xlsx", b"PK\x03\x04 this is not a workbook")
    assert r.status_code == 422
    assert "不是有效的 .xlsx 文件" in error_of(r)["message"]


def test_an_old_xls_or_unknown_type_is_422(editor: TestClient) -> None:
    assert error_of(_preview(editor, "faq.xls", b"x"))["field"] == "file"
    assert "不认识的文件类型" in error_of(_preview(editor, "faq.pdf", b"x"))["message"]


def test_an_empty_file_is_422(editor: TestClient) -> None:
    assert error_of(_preview(editor, "faq.csv", b""))["field"] == "file"


def test_a_request_without_a_file_is_422(editor: TestClient) -> None:
    r = editor.post("/api/console/import/preview", data={"x": "1"})
    assert r.status_code == 422
    assert error_of(r)["field"] == "file"


def test_a_huge_upload_is_413(tmp_path, store: SqlStore) -> None:  # type: ignore[no-untyped-def]
    rig = build_rig(tmp_path, store, console_settings=ConsoleSettings(max_upload_mb=0.01))
    try:
        r = _preview(rig.signed_in("editor"), "faq.csv", b"a,b\n" + b"x" * 20_000)
        assert r.status_code == 413
        assert error_of(r)["code"] == "too_large"
    finally:
        rig.close()


def test_a_manager_cannot_import(manager: TestClient) -> None:
    assert _preview(manager, "faq.csv", _csv(ROWS).encode()).status_code == 403


def test_export_csv_of_the_published_content(editor: TestClient) -> None:
    r = editor.get("/api/console/export", params={"format": "csv", "status": "published"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["faq_id", "category", "question"]
    assert sorted(row[0] for row in rows[1:]) == ["GJJ001", "GJJ002", "SB001", "SB002",
                                                  "SFZ001"]


def test_export_xlsx_of_drafts(editor: TestClient) -> None:
    token = _preview(editor, "faq.csv", _csv(ROWS).encode()).json()["token"]
    editor.post(f"/api/console/import/{token}/apply")
    r = editor.get("/api/console/export", params={"format": "xlsx", "status": "draft"})
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == [
        "JT001", "SB002"]


def test_export_in_an_unknown_format_is_422(editor: TestClient) -> None:
    r = editor.get("/api/console/export", params={"format": "pdf"})
    assert r.status_code == 422
    assert error_of(r)["field"] == "format"


def test_a_manager_can_export(manager: TestClient) -> None:
    assert manager.get("/api/console/export").status_code == 200


def test_an_unclosed_quote_is_422_naming_the_upload_and_row(editor: TestClient) -> None:
    data = (_csv([ROWS[0]]) + 'TEST006,测试,"未闭合的引号,答案\nTEST007,测试,问题,答案\n').encode()
    r = _preview(editor, "faq.csv", data)
    assert r.status_code == 422
    error = error_of(r)
    assert error["field"] == "file"
    assert error["message"].startswith("faq.csv：")
    assert "引号未闭合：从第 3 行起的内容被当成了一个单元格，请检查这一行的引号" in error["message"]
    assert "/tmp" not in error["message"]


def test_a_quoted_multi_line_answer_still_previews(editor: TestClient) -> None:
    rows = [["JT001", "交通", "电动自行车怎么上牌照", "第一步：购车\n第二步：到车管所登记"],
            ["JT003", "交通", "违章怎么查", "在交管12123查询"]]
    r = _preview(editor, "faq.csv", _csv(rows).encode())
    assert r.status_code == 200
    body = r.json()
    assert body["rows_read"] == 2
    assert [a["faq_id"] for a in body["added"]] == ["JT001", "JT003"]


FORMULAS = {"question": '=HYPERLINK("http://evil","点我")', "answer": "=1+1 答案",
            "similar_questions": ["+86 电话怎么打", "@某人 怎么办"]}


def test_csv_export_quotes_formulas_and_reimports_them_unchanged(editor: TestClient) -> None:
    created = editor.post("/api/console/entries", json={**NEW, **FORMULAS, "faq_id": "XSS001"})
    assert created.status_code == 201
    r = editor.get("/api/console/export", params={"format": "csv", "status": "draft"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    row = dict(zip(rows[0], next(x for x in rows[1:] if x[0] == "XSS001"), strict=True))
    assert row["question"] == "'" + FORMULAS["question"]
    assert row["answer"] == "'=1+1 答案"
    assert row["similar_questions"] == "'+86 电话怎么打|@某人 怎么办"
    body = _preview(editor, "faq.csv", r.content).json()
    assert body["rejected"] == [] and body["added"] == [] and body["changed"] == []
    assert body["unchanged"] == 1
