"""The whole bot as it runs: the Supervisor starts the real rasa server (trained model), the
real action server and the real gateway on free ports, once for this module, with their
data (SQLite store, rasa tracker, logs) in a temporary folder. Turns go in through the
gateway's HTTP API and are checked in the replies and in the store the processes share.

The last test stops rasa and checks degraded mode; the fixture stops everything and checks
by pid and process group that nothing is left.
"""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 420.0  # three processes loading rasa and the e5 model on 2 shared cores
TURN_TIMEOUT_S = 60.0
REPLAY_TIMEOUT_S = 420.0
WORK_ORDER = re.compile(r"工单号 (GD\d{8}-\d{6})")
REQUIRED_COLUMNS = ("input", "session_id", "intent", "decision", "outcome", "reason",
                    "faq_id", "score", "latency_ms")


def _missing() -> str | None:
    settings = Settings(embedder="e5")
    needs = {
        "the rasa environment (.venv-rasa)": PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa",
        "a trained rasa model (`bot build rasa`)": settings.rasa_model_dir / "hotline.tar.gz",
        "the FAQ index (`bot build index`)": settings.index_dir / "CURRENT",
        "the e5 model (`make install`)": settings.e5_model_dir,
    }
    absent = [what for what, path in needs.items() if not path.exists()]
    return f"the stack cannot start without {', '.join(absent)}" if absent else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _group_members(pgid: int) -> list[str]:
    """Live (non-zombie) processes in the process group, as "pid state command"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command sits in parentheses and may contain spaces; fields follow it.
        rest = stat[stat.rindex(")") + 2:].split()
        state, group = rest[0], int(rest[2])
        if group == pgid and state != "Z":
            found.append(f"{entry.name} {state} {stat[stat.index('('):stat.rindex(')') + 1]}")
    return found


@dataclass
class Stack:
    settings: Settings
    supervisor: Any  # bot.serve.supervisor.Supervisor
    url: str
    env: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=TURN_TIMEOUT_S)

    def store(self) -> Any:
        from bot.store.sql import SqlStore

        return SqlStore(self.settings.resolved_database_url)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    from bot.serve.supervisor import Supervisor

    data_dir = tmp_path_factory.mktemp("stack")
    environ = {
        "BOT_DATA_DIR": str(data_dir),
        "BOT_GATEWAY_PORT": str(_free_port()),
        "BOT_RASA_URL": f"http://127.0.0.1:{_free_port()}",
        "BOT_ACTIONS_PORT": str(_free_port()),
        "BOT_EMBEDDER": "e5",
    }
    settings = Settings.load(environ=environ, dotenv=None)
    supervisor = Supervisor(settings)
    try:
        supervisor.start(timeout_s=START_TIMEOUT_S)
        pids = {p.name: p.process.pid for p in supervisor.parts if p.process}
        yield Stack(settings, supervisor,
                    f"http://{settings.gateway_host}:{settings.gateway_port}",
                    {**os.environ, **environ})
    finally:
        supervisor.stop()
    assert supervisor.alive() == {"actions": False, "rasa": False, "gateway": False}
    for name, pid in pids.items():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # reaped: the pid no longer exists
        # Each part is its own process group (led by the part's pid): no worker of it is left.
        assert _group_members(pid) == [], f"{name} left processes behind"


def _chat(client: httpx.Client, sid: str, text: str) -> dict[str, Any]:
    response = client.post("/api/chat", json={"text": text, "session_id": sid})
    assert response.status_code == 200, response.text
    return response.json()


def _session(client: httpx.Client, sid: str) -> dict[str, Any]:
    response = client.get(f"/api/sessions/{sid}")
    assert response.status_code == 200, response.text
    return response.json()


def _answer_of(faq_id: str) -> str:
    from bot.kb.loader import load_kb

    entry = load_kb(Settings().kb_dir).get(faq_id)
    assert entry is not None, f"{faq_id} is not in the knowledge base"
    return entry.answer


def test_all_parts_are_up(stack: Stack) -> None:
    with stack.client() as client:
        body = client.get("/health").json()
    assert body["status"] == "ok", body
    assert body["parts"]["rasa"]["status"] == "ok"
    assert body["parts"]["actions"]["status"] == "ok"


def test_faq_question_is_answered_through_rasa_and_the_action_server(stack: Stack) -> None:
    with stack.client() as client:
        body = _chat(client, "stack-faq", "身份证丢了怎么补办")
    assert body["degraded"] is False
    assert body["intent"] == "ask_question"
    assert body["decision"] == "answer"
    assert body["faq_id"] == "SFZ002"
    assert body["messages"][0]["text"] == _answer_of("SFZ002")
    assert body["messages"][-1]["text"] == "请问这个回答对您有帮助吗？"
    assert [b["payload"] for b in body["messages"][-1]["buttons"]] == ["/affirm", "/deny"]
    assert body["candidates"][0]["faq_id"] == "SFZ002"


def test_helped_ends_the_session_deflected_and_confirmed(stack: Stack) -> None:
    sid = "stack-helped"
    with stack.client() as client:
        _chat(client, sid, "身份证丢了怎么补办")
        body = _chat(client, sid, "有帮助")
        assert body["messages"][0]["text"].startswith("很高兴能帮到您！")
        assert body["outcome"] == "deflected"
        session = _session(client, sid)
    assert (session["outcome"], session["confirmed"], session["faq_id"]) == (
        "deflected", True, "SFZ002")
    with stack.store() as store:
        turns = store.get_turns(sid)
    assert [t.intent for t in turns] == ["ask_question", "affirm"]
    assert turns[0].candidates and turns[0].latency_ms and turns[0].latency_ms > 0


def test_request_for_a_human_is_transferred_with_a_summary(stack: Stack) -> None:
    sid = "stack-human"
    with stack.client() as client:
        _chat(client, sid, "社保卡丢了怎么补办")
        body = _chat(client, sid, "转人工")
        session = _session(client, sid)
    assert body["intent"] == "request_human"
    assert body["outcome"] == "transferred" and body["decision"] == "handover"
    assert body["messages"][0]["text"] == "好的，正在为您转接人工客服，请稍候。"
    assert (session["outcome"], session["reason"]) == ("transferred", "citizen_request")
    summary = session["handover_summary"]
    assert summary["reason"] == "citizen_request"
    assert summary["question"] == "社保卡丢了怎么补办"
    assert summary["transcript"] == ["社保卡丢了怎么补办", "转人工"]


def test_complaint_collects_the_form_and_gives_a_work_order_number(stack: Stack) -> None:
    sid = "stack-complaint"
    answers = {"wo_what": "小区门口路灯坏了一个月没人修",
               "wo_where": "东湖路12号东湖花园南门",
               "wo_phone": "138 1234 5678"}
    asked = []
    with stack.client() as client:
        body = _chat(client, sid, "我要投诉，小区门口路灯坏了一个月没人修")
        assert body["intent"] == "complain"
        while body["awaiting"] in answers and len(asked) < 5:
            asked.append(body["awaiting"])
            body = _chat(client, sid, answers[body["awaiting"]])
        session = _session(client, sid)
    assert asked == ["wo_what", "wo_where", "wo_phone"]
    found = WORK_ORDER.search(body["messages"][0]["text"])
    assert found, body["messages"]
    assert body["decision"] == "work_order" and body["outcome"] == "work_order"
    assert session["outcome"] == "work_order"
    with stack.store() as store:
        [order] = store.get_work_orders(sid)
    assert order.number == found.group(1)
    assert (order.what, order.where, order.phone_masked) == (
        answers["wo_what"], answers["wo_where"], "138****5678")


def test_a_wrong_phone_is_asked_again(stack: Stack) -> None:
    sid = "stack-phone"
    with stack.client() as client:
        body = _chat(client, sid, "我要投诉，楼下烧烤店油烟太大")
        for _ in range(3):
            if body["awaiting"] == "wo_phone":
                break
            body = _chat(client, sid, "楼下烧烤店油烟太大" if body["awaiting"] == "wo_what"
                         else "西街5号")
        assert body["awaiting"] == "wo_phone"
        body = _chat(client, sid, "12345")
        assert body["messages"][0]["text"] == "电话号码好像不对，请再说一遍，或者说“不留”。"
        assert body["awaiting"] == "wo_phone"
        body = _chat(client, sid, "不留")
    assert WORK_ORDER.search(body["messages"][0]["text"])


def test_replay_writes_one_row_per_input_in_order(stack: Stack, tmp_path: Path) -> None:
    source = PROJECT_ROOT / "examples" / "sample_questions.csv"
    out = tmp_path / "replay.csv"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "replay", str(source), "--out", str(out),
         "--url", stack.url],
        cwd=PROJECT_ROOT, env=stack.env, capture_output=True, text=True,
        timeout=REPLAY_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with source.open(encoding="utf-8") as handle:
        inputs = [row["question"] for row in csv.DictReader(handle)]
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert set(REQUIRED_COLUMNS) <= set(rows[0])
    assert [r["input"] for r in rows] == inputs
    assert [r["error"] for r in rows] == [""] * len(inputs)
    assert all(r["outcome"] in ("deflected", "transferred", "work_order", "abandoned")
               for r in rows)
    by_input = {r["input"]: r for r in rows}
    assert by_input["转人工吧"]["reason"] == "citizen_request"
    assert by_input["小区门口路灯坏了一个月没人修"]["outcome"] in ("work_order", "transferred")
    assert f"回放 {len(inputs)} 条" in done.stdout


def test_rasa_down_leaves_the_gateway_answering_faqs(stack: Stack) -> None:
    stack.supervisor.stop_part("rasa")
    assert stack.supervisor.alive()["rasa"] is False
    with stack.client() as client:
        health = client.get("/health").json()
        body = _chat(client, "stack-degraded", "身份证丢了怎么补办")
    assert health["status"] == "degraded"
    assert health["parts"]["rasa"]["status"] == "down"
    assert {k for k, v in health["parts"].items() if v["status"] != "ok"} == {"rasa"}
    assert body["degraded"] is True
    assert body["decision"] == "answer" and body["faq_id"] == "SFZ002"
    assert body["messages"][0]["text"] == _answer_of("SFZ002")
