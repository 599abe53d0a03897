"""bot.replay against the real gateway app in-process (a scripted rasa that runs the
work-order form and writes outcomes to the real SqlStore, as the action server would)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.errors import InputError
from bot.gateway.app import create_app
from bot.gateway.conversation import ConversationService
from bot.gateway.rasa_client import DialogState, RasaTurn, parse_rest_response
from bot.replay import COLUMNS, ReplayRow, replay, row_dicts, summarize
from bot.settings import Settings
from bot.store.base import TransferReason
from bot.store.sql import SqlStore
from tests.unit.gateway.gateway_fakes import FakeEngine, faq_payload, rest_items

FAQ = "身份证丢了怎么补办"
COMPLAINT = "小区门口路灯坏了一个月没人修"
HUMAN = "转人工"
GREETING = "你好"
FORM = (("wo_what", "请您描述一下遇到的问题。"),
        ("wo_where", "问题发生在哪里？请说一下具体地址或位置。"),
        ("wo_phone", "请留一个联系电话，方便工作人员回复您（不想留可以说“不留”）。"))


@dataclass
class FormRasa:
    """Just enough of the dialog: FAQ answers, hand-over on request, the work-order form."""

    store: SqlStore
    fail_on: str = ""
    forms: dict[str, dict[str, str]] = field(default_factory=dict)  # sender -> filled slots
    intents: dict[str, str] = field(default_factory=dict)
    orders: list[tuple[str, str, str]] = field(default_factory=list)  # (what, where, phone)

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        if text == self.fail_on:
            raise RuntimeError("the dialog crashed")
        if sender in self.forms:
            return self._form_step(sender, text)
        if text == COMPLAINT:
            self.intents[sender] = "complain"
            self.forms[sender] = {}
            return parse_rest_response(rest_items(FORM[0][1]))
        if text == FAQ:
            self.intents[sender] = "ask_question"
            return parse_rest_response(rest_items(
                "携带户口簿到派出所补领。", "请问这个回答对您有帮助吗？",
                custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93), ("SFZ002", 0.6)])))
        if text == HUMAN:
            self.intents[sender] = "request_human"
            self.store.record_handover(sender, TransferReason.CITIZEN_REQUEST, {"question": ""})
            return parse_rest_response(rest_items(
                "好的，正在为您转接人工客服，请稍候。",
                custom={"faq": None, "outcome": "transferred", "reason": "citizen_request"}))
        self.intents[sender] = "greet"
        return parse_rest_response(rest_items("您好，请问有什么可以帮您？"))

    def _form_step(self, sender: str, text: str) -> RasaTurn:
        filled = self.forms[sender]
        filled[FORM[len(filled)][0]] = text
        if len(filled) < len(FORM):
            return parse_rest_response(rest_items(FORM[len(filled)][1]))
        del self.forms[sender]
        phone = "" if filled["wo_phone"] == "不留" else filled["wo_phone"]
        self.orders.append((filled["wo_what"], filled["wo_where"], filled["wo_phone"]))
        order = self.store.create_work_order(sender, filled["wo_what"], filled["wo_where"],
                                             phone or None)
        return parse_rest_response(rest_items(
            f"已为您登记工单，工单号 {order.number}，相关部门会在 3 个工作日内处理并回复。",
            custom={"faq": {"decision": "work_order", "faq_id": None, "candidates": [],
                            "normalized_query": ""}, "outcome": "work_order", "reason": None}))

    async def dialog_state(self, sender: str) -> DialogState:
        filled = self.forms.get(sender)
        awaiting = FORM[len(filled)][0] if filled is not None else None
        return DialogState(self.intents.get(sender), 0.9, awaiting)

    async def status(self) -> dict[str, Any]:
        return {"status": "ok"}

    async def close(self) -> None:
        pass


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with SqlStore(f"sqlite:///{tmp_path / 'bot.db'}") as opened:
        yield opened


@pytest.fixture
def rasa(store: SqlStore) -> FormRasa:
    return FormRasa(store)


def _replay(store: SqlStore, rasa: FormRasa, texts: list[str],
            details: list[str] | None = None, concurrency: int = 4) -> list[ReplayRow]:
    engine = FakeEngine()
    settings = Settings(actions_port=1)
    app = create_app(settings, ConversationService(rasa, engine, store, 2000),  # type: ignore[arg-type]
                     store, engine, rasa)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return asyncio.run(replay("http://gateway.test", texts, details, concurrency,
                              transport=transport))


def test_one_row_per_input_in_order(store: SqlStore, rasa: FormRasa) -> None:
    texts = [FAQ, COMPLAINT, HUMAN, GREETING] * 3
    rows = _replay(store, rasa, texts)
    assert [r.row for r in rows] == list(range(1, 13))
    assert [r.input for r in rows] == texts
    assert len({r.session_id for r in rows}) == 12


def test_faq_row_is_answered_and_deflected(store: SqlStore, rasa: FormRasa) -> None:
    [row] = _replay(store, rasa, [FAQ])
    assert (row.intent, row.decision, row.outcome, row.reason) == (
        "ask_question", "answer", "deflected", "")
    assert row.faq_id == "SFZ001" and row.score == 0.93
    assert row.turns == 1 and row.error == ""
    assert row.reply.startswith("携带户口簿到派出所补领。 / ")
    record = store.get_session(row.session_id)
    assert record is not None and record.channel.value == "replay"


def test_complaint_fills_the_form_with_the_detail_and_no_phone(
    store: SqlStore, rasa: FormRasa
) -> None:
    detail = "位于海川市东湖路12号小区南门，" + "路灯不亮" * 100
    [row] = _replay(store, rasa, [COMPLAINT], [detail])
    assert rasa.orders == [(COMPLAINT, detail[:300], "不留")]
    assert (row.intent, row.decision, row.outcome) == ("complain", "work_order", "work_order")
    assert row.turns == 4
    [order] = store.get_work_orders(row.session_id)
    assert order.number.startswith("GD") and order.phone_masked == ""


def test_complaint_without_a_detail_says_the_place_is_in_the_message(
    store: SqlStore, rasa: FormRasa
) -> None:
    _replay(store, rasa, [COMPLAINT])
    assert rasa.orders == [(COMPLAINT, "具体位置见留言内容", "不留")]


def test_request_for_a_human_is_transferred_with_its_reason(
    store: SqlStore, rasa: FormRasa
) -> None:
    [row] = _replay(store, rasa, [HUMAN])
    assert (row.decision, row.outcome, row.reason) == ("handover", "transferred", "citizen_request")


def test_a_greeting_only_is_abandoned(store: SqlStore, rasa: FormRasa) -> None:
    [row] = _replay(store, rasa, [GREETING])
    assert (row.decision, row.outcome) == ("reply", "abandoned")


def test_a_failing_turn_is_an_error_row_and_the_others_go_on(
    store: SqlStore, rasa: FormRasa
) -> None:
    rasa.fail_on = "会出错的问题"
    rows = _replay(store, rasa, [FAQ, "会出错的问题", HUMAN])
    assert [r.decision for r in rows] == ["answer", "error", "handover"]
    assert "500" in rows[1].error


def test_an_unreachable_gateway_gives_error_rows() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    rows = asyncio.run(replay("http://nowhere.test", [FAQ, HUMAN],
                              transport=httpx.MockTransport(refuse)))
    assert [r.decision for r in rows] == ["error", "error"]
    assert all("connection refused" in r.error for r in rows)


def test_summary_counts_outcomes_decisions_reasons_and_latency(
    store: SqlStore, rasa: FormRasa
) -> None:
    rasa.fail_on = "会出错的问题"
    rows = _replay(store, rasa, [FAQ, FAQ, COMPLAINT, HUMAN, GREETING, "会出错的问题"])
    summary = summarize(rows)
    assert summary["rows"] == 6 and summary["errors"] == 1
    assert summary["outcomes"] == {"deflected": 2, "work_order": 1, "transferred": 1,
                                   "abandoned": 1}
    assert summary["outcome_shares"]["deflected"] == 0.4
    assert summary["decisions"] == {"answer": 2, "work_order": 1, "handover": 1, "reply": 1}
    assert summary["intents"]["ask_question"] == 2
    assert summary["transfer_reasons"] == {"citizen_request": 1}
    assert 0 < summary["latency_ms_p50"] <= summary["latency_ms_p95"]


def test_summary_of_nothing_is_zeroes() -> None:
    summary = summarize([])
    assert summary["rows"] == 0 and summary["errors"] == 0 and summary["outcomes"] == {}
    assert summary["latency_ms_p95"] == 0.0


def test_row_dicts_carry_the_required_columns() -> None:
    required = {"input", "session_id", "intent", "decision", "outcome", "reason", "faq_id",
                "score", "latency_ms"}
    assert required <= set(COLUMNS)
    row = ReplayRow(1, "问", "sid", "greet", "reply", "abandoned", "", "", None, 3.2, 1, "您好")
    assert list(row_dicts([row])[0]) == list(COLUMNS)


def test_load_texts_reads_the_column_and_details(tmp_path: Path) -> None:
    from bot.cli.replay_cmd import load_texts

    path = tmp_path / "msgs.csv"
    path.write_text("编号,留言主题,留言详情\n1,路灯坏了,东湖路12号\n2,噪音扰民,\n3,井盖丢了,西街\n",
                    encoding="utf-8")
    assert load_texts(path, "留言主题", "留言详情", 2) == (["路灯坏了", "噪音扰民"],
                                                       ["东湖路12号", ""])


def test_load_texts_names_the_columns_when_one_is_missing(tmp_path: Path) -> None:
    from bot.cli.replay_cmd import load_texts

    path = tmp_path / "msgs.csv"
    path.write_text("编号,内容\n1,路灯坏了\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 标题.*columns are 编号, 内容.*--column"):
        load_texts(path, "标题", None, None)


@pytest.mark.parametrize("out", ["missing-folder/out.csv", "out.json"])
def test_a_bad_out_path_is_refused_before_replaying(tmp_path: Path, out: str) -> None:
    import argparse

    from bot.cli.replay_cmd import run

    source = tmp_path / "msgs.csv"
    source.write_text("question\n社保卡丢了怎么补办\n", encoding="utf-8")
    args = argparse.Namespace(file=source, column=None, detail_column=None, limit=None,
                              out=tmp_path / out, concurrency=1, url="http://127.0.0.1:1",
                              json=False)
    # Port 1 has no bot: reaching the health check would be a BotError, not this.
    with pytest.raises(InputError, match="--out"):
        run(args, Settings())
