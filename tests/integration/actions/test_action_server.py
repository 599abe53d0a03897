"""The real rasa-sdk 3.21.1 action server, in its own process, answering webhook calls shaped
like rasa 3.6.21's (fake embedder, a tiny index and a SQLite store in a temporary folder)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
# What rasa 3.6.21 sends as "version"; rasa-sdk 3.21.1 warns that 3.6 != 3.21 and goes on.
RASA_VERSION = "3.6.21"
DOMAIN: dict[str, Any] = {
    "version": "3.1",
    "intents": ["ask_question", "choose_option", "affirm", "deny", "request_human"],
    "slots": {
        name: {"type": "any", "mappings": [{"type": "custom"}]}
        for name in ("dialog_state", "faq_candidates", "faq_answered", "faq_query", "next_offered")
    },
    "forms": {"work_order_form": {"required_slots": ["wo_what", "wo_where", "wo_phone"]}},
    "responses": {},
    "actions": ["action_answer_faq"],
    "session_config": {"session_expiration_time": 30, "carry_over_slots_to_new_session": False},
}


@dataclass
class Server:
    url: str
    log: Path
    database_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ANSWERED = ("社保卡丢了怎么补办", "租房怎么提取公积金")  # the entries' own questions
UNKNOWN = "明天天气怎么样"


def _build_index(build_dir: Path) -> None:
    """A two-entry index whose thresholds answer the entries' own questions and hand
    UNKNOWN over, whatever the engine's score scale is this week."""
    from bot.embed.base import FakeEmbedder
    from bot.engine.builder import build_version, load_version
    from bot.engine.types import Thresholds
    from bot.index.versions import IndexStore
    from bot.kb.model import FaqEntry, KnowledgeBase

    kb = KnowledgeBase.of(
        [
            FaqEntry("SB001", "社保", ANSWERED[0], ("社保卡遗失补卡",), "到社保网点补办。"),
            FaqEntry("GJJ001", "公积金", ANSWERED[1], ("租房提取公积金",), "网上申请。"),
        ]
    )
    embedder, store = FakeEmbedder(), IndexStore(build_dir / "index")
    probe = build_version(kb, embedder, store, thresholds=Thresholds(0.0, 0.0, 0.0))
    matcher = load_version(probe, embedder)
    known = [matcher.ask(q) for q in ANSWERED]
    low = min(r.candidates[0].score for r in known)
    margin = min(r.candidates[0].score - r.candidates[1].score for r in known)
    unknown = matcher.ask(UNKNOWN).candidates[0].score
    assert unknown < low - 0.02, f"fake embedder cannot separate {UNKNOWN!r}: {unknown} vs {low}"
    thresholds = Thresholds(
        answer=low - 0.01,
        margin=max(0.0, margin - 0.01),
        clarify=unknown + 0.01,
        calibrated_on="test",
    )
    build_version(kb, embedder, store, thresholds=thresholds)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    try:
        from bot.engine.service import FaqService  # noqa: F401
    except ImportError:
        pytest.skip("FaqService not available yet")
    root = tmp_path_factory.mktemp("action_server")
    _build_index(root / "build")
    (root / "kb" / "dict").mkdir(parents=True)
    database_url = f"sqlite:///{root / 'var' / 'bot.db'}"
    (root / "var").mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "BOT_EMBEDDER": "fake",
        "BOT_BUILD_DIR": str(root / "build"),
        "BOT_KB_DIR": str(root / "kb"),
        "BOT_DATA_DIR": str(root / "var"),
        "BOT_DATABASE_URL": database_url,
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    python = ROOT / ".venv" / "bin" / "python"
    log = root / "action_server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(python if python.exists() else sys.executable), "-m", "rasa_sdk"]
            + ["--actions", "actions", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so sanic workers stop with it
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, url, log)
        yield Server(url, log, database_url)
    finally:
        _stop(proc)


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"action server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"action server not healthy after {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)


def _action_call(action: str, sender: str, text: str, channel: str = "chat") -> dict[str, Any]:
    """The body rasa 3.6's RemoteAction posts (tracker.current_state(EventVerbosity.ALL))."""
    latest = {
        "intent": {"name": "ask_question", "confidence": 0.98},
        "entities": [],
        "text": text,
        "message_id": "m-1",
        "metadata": {"channel": channel},
        "intent_ranking": [{"name": "ask_question", "confidence": 0.98}],
    }
    now = time.time()
    events = [
        {"event": "action", "timestamp": now - 2, "name": "action_session_start"},
        {"event": "session_started", "timestamp": now - 2},
        {"event": "action", "timestamp": now - 2, "name": "action_listen"},
        {
            "event": "user",
            "timestamp": now - 1,
            "text": text,
            "parse_data": latest,
            "input_channel": "rest",
            "message_id": "m-1",
            "metadata": {"channel": channel},
        },
        {"event": "user_featurization", "timestamp": now, "use_text_for_featurization": False},
    ]
    tracker = {
        "sender_id": sender,
        "slots": {name: None for name in DOMAIN["slots"]},
        "latest_message": latest,
        "latest_event_time": now,
        "followup_action": None,
        "paused": False,
        "events": events,
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    }
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": tracker,
        "domain": DOMAIN,
        "version": RASA_VERSION,
    }


def _post(server: Server, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/webhook", json=body, timeout=60)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_health_is_ok(server: Server) -> None:
    response = httpx.get(f"{server.url}/health", timeout=5)
    assert response.json() == {"status": "ok"}


def test_every_contract_action_is_served(server: Server) -> None:
    names = {a["name"] for a in httpx.get(f"{server.url}/actions", timeout=5).json()}
    assert "action_answer_faq" in names
    assert "validate_work_order_form" in names
    assert "action_warm_up" in names  # called by the supervisor, not by rasa
    assert len(names) == 9


def test_a_question_is_answered_with_the_custom_payload(server: Server) -> None:
    result = _post(server, _action_call("action_answer_faq", "it-answer", "社保卡丢了怎么补办"))
    texts = [r["text"] for r in result["responses"]]
    assert texts == ["到社保网点补办。", "请问这个回答对您有帮助吗？"]
    custom = [r["custom"] for r in result["responses"] if r.get("custom")]
    assert len(custom) == 1
    assert custom[0]["faq"]["decision"] == "answer"
    assert custom[0]["faq"]["faq_id"] == "SB001"
    assert custom[0]["faq"]["candidates"][0]["faq_id"] == "SB001"
    assert custom[0]["outcome"] is None
    slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    assert slots["dialog_state"] == "awaiting_feedback"
    assert slots["faq_answered"] == "SB001"


def test_the_answer_is_recorded_in_the_real_store(server: Server) -> None:
    from bot.store.sql import SqlStore

    _post(server, _action_call("action_answer_faq", "it-store", "社保卡丢了怎么补办", "voice"))
    with SqlStore(server.database_url) as store:
        session = store.get_session("it-store")
        assert session is not None
        assert session.channel.value == "voice"
        assert session.outcome is None  # the citizen has not left yet
        # The answer was recorded: when the citizen leaves, the session counts as
        # deflected by that entry (an unanswered one would be abandoned).
        assert store.close_session("it-store").value == "deflected"
        closed = store.get_session("it-store")
    assert closed is not None and closed.faq_id == "SB001"


def test_an_unknown_question_is_handed_over_and_recorded(server: Server) -> None:
    from bot.store.sql import SqlStore

    result = _post(server, _action_call("action_answer_faq", "it-handover", UNKNOWN))
    assert result["responses"][0]["text"] == "好的，正在为您转接人工客服，请稍候。"
    custom = result["responses"][-1]["custom"]
    assert (custom["outcome"], custom["reason"]) == ("transferred", "low_confidence")
    with SqlStore(server.database_url) as store:
        session = store.get_session("it-handover")
    assert session is not None
    assert session.outcome is not None and session.outcome.value == "transferred"
    assert session.handover_summary["question"] == UNKNOWN


def test_the_version_warning_does_not_break_the_call(server: Server) -> None:
    body = _action_call("action_answer_faq", "it-version", "租房怎么提取公积金")
    result = _post(server, body)
    assert result["responses"][0]["text"] == "网上申请。"
    assert "might not be compatible" in server.log.read_text(errors="replace")


def test_rasa_3_6_remote_action_accepts_the_response(server: Server) -> None:
    """rasa 3.6.21's own RemoteAction (from its separate environment) reads our response."""
    rasa_python = ROOT / ".venv-rasa" / "bin" / "python"
    domain = ROOT / "domain.yml"
    if not rasa_python.exists() or not domain.is_file():
        pytest.skip("needs the rasa environment (.venv-rasa) and domain.yml")
    script = Path(__file__).with_name("rasa_remote_call.py")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [str(rasa_python), str(script), f"{server.url}/webhook", str(domain)]
        + ["action_answer_faq", "社保卡丢了怎么补办"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["texts"] == ["到社保网点补办。", "请问这个回答对您有帮助吗？"]
    assert seen["customs"][0] is None
    assert seen["customs"][1]["faq"]["faq_id"] == "SB001"
    assert seen["slots"] == {
        "dialog_state": "awaiting_feedback",
        "faq_answered": "SB001",
        "faq_candidates": ["SB001", "GJJ001"],
        "faq_query": "社保卡丢了怎么补办",
    }
