"""The contract's flows live: the trained rasa 3.6.21 model served by `rasa run` (its own
environment) calling the rasa-sdk 3.21.1 action server (the app's environment), over the
REST channel. Unlike `rasa test core`, which replays the slot events written in the test
stories, this runs the real actions: form validation and rejection, handover, fallback,
the FAQ answer and feedback. The FAQ engine uses the fake embedder over a two-entry index
and the store a temporary SQLite file, so no model but rasa's own is needed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.dialog import rasa_cli
from bot.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

if not (PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa").is_file():
    pytest.skip(
        "the rasa environment .venv-rasa is missing; run `make install`", allow_module_level=True
    )

START_TIMEOUT_S = 300.0  # rasa loads TensorFlow and the model: minutes on a busy 2-core box
QUESTION = "社保卡丢了怎么补办"
OTHER = "租房怎么提取公积金"
ANSWER = "带身份证到社保网点补办。"


@dataclass(frozen=True)
class Bot:
    url: str

    def say(self, sender: str, text: str) -> tuple[list[str], list[dict[str, Any]]]:
        body = {"sender": sender, "message": text, "metadata": {"channel": "chat"}}
        reply = httpx.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=60)
        reply.raise_for_status()
        messages = reply.json()
        texts = [m["text"] for m in messages if "text" in m]
        return texts, [m["custom"] for m in messages if "custom" in m]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build_index(build_dir: Path) -> None:
    """Two entries; thresholds measured on them so that an entry's own question is answered
    directly, whatever the fake embedder's score scale."""
    from bot.embed.base import FakeEmbedder
    from bot.engine.builder import build_version, load_version
    from bot.engine.types import Thresholds
    from bot.index.versions import IndexStore
    from bot.kb.model import FaqEntry, KnowledgeBase

    kb = KnowledgeBase.of(
        [
            FaqEntry("SB001", "社保", QUESTION, ("社保卡遗失补卡",), ANSWER),
            FaqEntry("GJJ001", "公积金", OTHER, ("租房提公积金",), "网上申请。"),
        ]
    )
    embedder, store = FakeEmbedder(), IndexStore(build_dir / "index")
    probe = load_version(
        build_version(kb, embedder, store, thresholds=Thresholds(0.0, 0.0, 0.0)), embedder
    )
    known = [probe.ask(q) for q in (QUESTION, OTHER)]
    low = min(r.candidates[0].score for r in known)
    margin = min(r.candidates[0].score - r.candidates[1].score for r in known)
    thresholds = Thresholds(
        answer=low - 0.01,
        margin=max(0.0, margin - 0.01),
        clarify=low - 0.02,
        calibrated_on="test",
    )
    build_version(kb, embedder, store, thresholds=thresholds)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: workers stop with it
        )


def _wait(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"{url} not up after {START_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    model = rasa_cli.train(Settings.load())
    root = tmp_path_factory.mktemp("live")
    _build_index(root / "build")
    (root / "var").mkdir()
    actions_port, rasa_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "BOT_EMBEDDER": "fake",
        "BOT_BUILD_DIR": str(root / "build"),
        "BOT_DATA_DIR": str(root / "var"),
        "BOT_DATABASE_URL": f"sqlite:///{root / 'var/bot.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    # No tracker store: each test run starts from empty conversations.
    endpoints = root / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
    actions = _start(
        [
            str(PROJECT_ROOT / ".venv/bin/python"),
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "--port",
            str(actions_port),
        ],
        env,
        root / "actions.log",
    )
    rasa_env = {k: v for k, v in rasa_cli.rasa_env().items() if not k.startswith("BOT_")}
    rasa = _start(
        [
            str(rasa_cli.rasa_bin(PROJECT_ROOT)),
            "run",
            "--enable-api",
            "-m",
            str(model),
            "--port",
            str(rasa_port),
            "--endpoints",
            str(endpoints),
            "--credentials",
            "credentials.yml",
        ],
        rasa_env,
        root / "rasa.log",
    )
    try:
        _wait(actions, f"http://127.0.0.1:{actions_port}/health", root / "actions.log")
        _wait(rasa, f"http://127.0.0.1:{rasa_port}/", root / "rasa.log")
        yield Bot(f"http://127.0.0.1:{rasa_port}")
    finally:
        _stop(rasa)
        _stop(actions)


def new_sender() -> str:
    return f"live-{uuid.uuid4().hex[:12]}"


def test_greet(bot: Bot) -> None:
    texts, _ = bot.say(new_sender(), "喂你好")
    assert texts and "12345" in texts[0]


def test_answer_then_helped(bot: Bot) -> None:
    sender = new_sender()
    texts, custom = bot.say(sender, QUESTION)
    assert ANSWER in texts
    assert texts[-1] == "请问这个回答对您有帮助吗？"
    assert custom[-1]["faq"]["decision"] == "answer"
    texts, custom = bot.say(sender, "有帮助")
    assert texts == ["很高兴能帮到您！还有其他问题吗？"]
    assert custom[-1]["outcome"] == "deflected"


def test_work_order_form_end_to_end(bot: Bot) -> None:
    sender = new_sender()
    assert bot.say(sender, "小区门口路灯坏了好几天了没人管")[0] == ["请您描述一下遇到的问题。"]
    assert bot.say(sender, "路灯晚上一直不亮")[0] == ["问题发生在哪里？请说一下具体地址或位置。"]
    assert bot.say(sender, "人民路幸福小区南门")[0][-1].startswith("请留一个联系电话")
    texts, _ = bot.say(sender, "12345")
    assert texts[0] == "电话号码好像不对，请再说一遍，或者说“不留”。"
    texts, custom = bot.say(sender, "138 1234 5678")
    assert texts[-1].startswith("已为您登记工单，工单号 ")
    assert custom[-1]["outcome"] == "work_order"


def test_request_human_ends_the_form(bot: Bot) -> None:
    sender = new_sender()
    bot.say(sender, "我要投诉")
    texts, custom = bot.say(sender, "转人工")
    assert texts == ["好的，正在为您转接人工客服，请稍候。"]
    assert custom[-1]["reason"] == "citizen_request"
    assert bot.say(sender, "你好")[0][0].startswith("您好")  # no longer asking for details


def test_two_fallbacks_hand_over(bot: Bot) -> None:
    sender = new_sender()
    assert bot.say(sender, "/nlu_fallback")[0][0].startswith("抱歉，我没有听明白")
    texts, custom = bot.say(sender, "/nlu_fallback")
    assert texts == ["好的，正在为您转接人工客服，请稍候。"]
    assert custom[-1]["reason"] == "repeated_failure"


def test_out_of_scope(bot: Bot) -> None:
    texts, _ = bot.say(new_sender(), "给我讲个笑话")
    assert texts == [
        "抱歉，这个问题我暂时回答不了。我可以帮您查询政务服务办事指南，或者为您转人工。"
    ]
