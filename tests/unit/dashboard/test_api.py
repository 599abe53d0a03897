"""Every /api/dashboard endpoint on the seeded log (seed.py gives each number's origin)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.dashboard import erlang
from tests.unit.dashboard.conftest import SignIn

RANGE = {"since": "2026-03-02", "until": "2026-03-04"}
REASON_COUNTS = {
    "low_confidence": 2,
    "complaint": 1,
    "negative_feedback": 1,
    "citizen_request": 1,
    "repeated_failure": 0,
}


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/dashboard/{path}", params={**RANGE, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def rows_by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


# -- summary -----------------------------------------------------------------------------


def test_summary_counts_the_citizens_sessions(manager: TestClient) -> None:
    body = get(manager, "summary")
    assert (body["since"], body["until"], body["days"], body["channel"]) == (
        "2026-03-02",
        "2026-03-04",
        3,
        None,
    )
    counts = {k: body[k] for k in ("sessions", "ended", "open", "deflected", "transferred")}
    assert counts == {"sessions": 12, "ended": 11, "open": 1, "deflected": 4, "transferred": 5}
    assert (body["deflected_confirmed"], body["deflected_unconfirmed"]) == (2, 2)
    assert body["deflection_rate"] == {"total": 0.3636, "confirmed": 0.1818, "unconfirmed": 0.1818}
    assert {r["reason"]: r["count"] for r in body["transfers_by_reason"]} == REASON_COUNTS
    assert body["transfers_by_reason"][0]["label"] == "置信度低"
    assert (body["work_orders"], body["abandoned"]) == (1, 1)
    assert body["work_orders_by_category"] == [{"category": "市政", "count": 1}]
    assert body["feedback"] == {"helped": 2, "not_helped": 1, "helped_rate": 0.6667}


def test_summary_of_every_channel_includes_the_replays(manager: TestClient) -> None:
    body = get(manager, "summary", channel="all")
    assert (body["sessions"], body["deflected_confirmed"], body["channel"]) == (13, 3, "all")


def test_summary_of_one_channel(manager: TestClient) -> None:
    body = get(manager, "summary", channel="voice")
    assert (body["sessions"], body["deflected_unconfirmed"], body["transferred"]) == (3, 1, 2)
    assert body["work_orders"] == 0  # the work order came from chat


def test_a_narrower_range_counts_only_its_days(manager: TestClient) -> None:
    body = get(manager, "summary", since="2026-03-03", until="2026-03-03")
    assert (body["sessions"], body["deflected"], body["work_orders"], body["days"]) == (5, 2, 1, 1)


def test_the_default_range_is_the_last_seven_days(manager: TestClient) -> None:
    body = manager.get("/api/dashboard/summary").json()
    assert (body["since"], body["until"], body["sessions"]) == ("2026-02-26", "2026-03-04", 12)


def test_an_empty_range_has_no_rates(manager: TestClient) -> None:
    body = get(manager, "summary", since="2025-01-01", until="2025-01-31")
    assert body["sessions"] == 0
    assert body["deflection_rate"] == {"total": None, "confirmed": None, "unconfirmed": None}
    assert body["feedback"]["helped_rate"] is None


# -- series ------------------------------------------------------------------------------


def test_series_by_day_lists_every_day_of_the_range(manager: TestClient) -> None:
    rows = get(manager, "series", by="day")["rows"]
    assert [r["key"] for r in rows] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert [r["sessions"] for r in rows] == [5, 5, 2]
    assert [r["deflected_confirmed"] for r in rows] == [1, 1, 0]
    assert [r["transferred"] for r in rows] == [3, 1, 1]
    assert [r["deflection_rate"] for r in rows] == [0.4, 0.4, 0.0]
    assert rows[2]["open"] == 1


def test_series_by_hour_has_all_24_hours(manager: TestClient) -> None:
    body = get(manager, "series", by="hour")
    by = rows_by_key(body)
    assert len(body["rows"]) == 24 and body["rows"][0]["label"] == "00时"
    assert {k: r["sessions"] for k, r in by.items() if r["sessions"]} == {
        "09": 4,
        "10": 6,
        "14": 1,
        "16": 1,
    }
    assert by["09"]["deflection_rate"] == 1.0 and by["03"]["deflection_rate"] is None


def test_series_by_channel(manager: TestClient) -> None:
    by = rows_by_key(get(manager, "series", by="channel"))
    assert {k: (r["label"], r["sessions"]) for k, r in by.items()} == {
        "chat": ("网页聊天", 7),
        "voice": ("语音", 3),
        "phone": ("电话", 2),
    }


def test_series_by_category_uses_the_knowledge_base(manager: TestClient) -> None:
    rows = get(manager, "series", by="category")["rows"]
    assert [(r["key"], r["sessions"], r["deflected"]) for r in rows] == [
        ("未匹配", 7, 0),
        ("户政", 2, 2),
        ("社保", 2, 1),
        ("公积金", 1, 1),
    ]


# -- top FAQs and unanswered -------------------------------------------------------------


def test_top_faqs_with_their_questions(manager: TestClient) -> None:
    items = get(manager, "top-faqs")["items"]
    assert [
        (i["rank"], i["faq_id"], i["question"], i["category"], i["sessions"], i["confirmed"],
         i["negative"])
        for i in items
    ] == [
        (1, "F1", "身份证丢了怎么补办", "户政", 2, 1, 0),
        (2, "F2", "医保怎么报销", "社保", 2, 1, 1),
        (3, "F3", "公积金怎么提取", "公积金", 1, 0, 0),
    ]


def test_top_faqs_honours_top(manager: TestClient) -> None:
    assert [i["faq_id"] for i in get(manager, "top-faqs", top=1)["items"]] == ["F1"]


def test_top_unanswered_questions(manager: TestClient) -> None:
    items = get(manager, "unanswered")["items"]
    assert [(i["rank"], i["text"], i["count"]) for i in items] == [
        (1, "社保卡丢了怎么补办", 2),
        (2, "公积金怎么提取", 1),
        (3, "医保怎么报销", 1),
    ]


# -- staffing ----------------------------------------------------------------------------


def test_staffing_averages_the_transfers_per_hour(manager: TestClient) -> None:
    body = get(manager, "staffing", aht_s=300, service_level=0.8, answer_within_s=20)
    rows = body["rows"]
    assert len(rows) == 24 and body["total_transferred"] == 5
    # Transfers by the hour they were handed over: 10:12, 10:45, 10:31, 10:16 and 14:03.
    assert [(r["hour"], r["transferred"], r["peak_calls"]) for r in rows if r["transferred"]] == [
        (10, 4, 2),
        (14, 1, 1),
    ]
    ten = rows[10]
    assert ten["calls_per_hour"] == 1.33  # 4 over 3 days
    # M/M/1 at rho = (4/3) * 300 / 3600 = 1/9: SL = 1 - rho * exp(-(1 - rho) * 20 / 300).
    rho = 4 / 3 * 300 / 3600
    assert ten["agents_needed"] == 1
    assert ten["service_level_achieved"] == round(1 - rho * math.exp(-(1 - rho) / 15), 4)
    assert rows[3]["agents_needed"] == 0 and rows[3]["service_level_achieved"] == 1.0


def test_staffing_follows_the_handling_time_and_target(manager: TestClient) -> None:
    body = get(manager, "staffing", aht_s=7200, service_level=0.95, answer_within_s=60)
    ten = body["rows"][10]
    want = erlang.agents_needed(4 / 3, 7200, 0.95, 60)
    assert ten["traffic_erlangs"] == round(4 / 3 * 2, 3)
    # A = 8/3 erlangs; by the textbook formula 6 agents answer 93.98% within 60 s, 7 do 97.94%.
    assert ten["agents_needed"] == want.agents == 7
    assert ten["service_level_achieved"] == 0.9794
    assert ten["agents_needed_peak"] == erlang.agents_needed(2, 7200, 0.95, 60).agents
    assert (body["aht_s"], body["service_level"], body["answer_within_s"]) == (7200, 0.95, 60)


# -- bad parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("summary", {"since": "2026-03-05", "until": "2026-03-01"}, "until"),
        ("summary", {"since": "2026-02-30"}, "since"),
        ("summary", {"until": "yesterday"}, "until"),
        ("summary", {"since": "2020-01-01", "until": "2026-01-01"}, "since"),
        ("summary", {"channel": "fax"}, "channel"),
        ("series", {"by": "week"}, "by"),
        ("top-faqs", {"top": "0"}, "top"),
        ("unanswered", {"top": "lots"}, "top"),
        ("staffing", {"aht_s": "0"}, "aht_s"),
        ("staffing", {"aht_s": "abc"}, "aht_s"),
        ("staffing", {"service_level": "1"}, "service_level"),
        ("staffing", {"service_level": "80"}, "service_level"),
        ("staffing", {"answer_within_s": "-3"}, "answer_within_s"),
        ("staffing", {"answer_within_s": "nan"}, "answer_within_s"),
        ("export/summary", {"format": "pdf"}, "format"),
    ],
)
def test_a_bad_parameter_is_422_naming_the_field(
    manager: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = manager.get(f"/api/dashboard/{path}", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == field and field in error["message"]


def test_an_unknown_export_view_is_404(manager: TestClient) -> None:
    response = manager.get("/api/dashboard/export/everything")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# -- who may look ------------------------------------------------------------------------

ENDPOINTS = [
    "options",
    "summary",
    "series",
    "top-faqs",
    "unanswered",
    "staffing",
    "export/summary?format=csv",
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_without_signing_in_it_is_401(client_as: SignIn, path: str) -> None:
    response = client_as(None).get(f"/api/dashboard/{path}")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "not_signed_in", "message": "请先登录控制台"}}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_editor_is_403(client_as: SignIn, path: str) -> None:
    response = client_as("ed").get(f"/api/dashboard/{path}")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden" and "权限" in error["message"]


def test_an_admin_sees_the_dashboard(client_as: SignIn) -> None:
    assert get(client_as("boss"), "summary")["sessions"] == 12


def test_options_name_the_user_and_the_defaults(manager: TestClient) -> None:
    body = get(manager, "options")
    assert body["user"]["role"] == "manager" and body["today"] == "2026-03-04"
    assert body["default_range"]["since"] == "2026-02-26"
    assert [c["value"] for c in body["channels"]] == ["chat", "voice", "phone", "replay"]
    assert body["staffing"] == {"aht_s": 300.0, "service_level": 0.8, "answer_within_s": 20.0}


def test_after_signing_out_it_is_401_again(client_as: SignIn) -> None:
    client = client_as("mgr")
    assert client.get("/api/dashboard/summary").status_code == 200
    assert client.post("/api/console/logout").status_code == 200
    assert client.get("/api/dashboard/summary").status_code == 401
