"""`bot serve`: start the rasa server, the action server and the gateway together."""

from __future__ import annotations

import argparse
import signal
import time
from types import FrameType

from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="启动 rasa、动作服务与网关（Ctrl+C 一起停止）",
        description="Start rasa, the action server and the gateway; stop them together.",
    )
    p.add_argument("--without-rasa", action="store_true",
                   help="start only the action server and the gateway (FAQ answers, degraded)")
    p.set_defaults(func=run)


def banner(settings: Settings) -> str:
    from bot.telephony.config import TelephonySettings

    url = f"http://{settings.gateway_host}:{settings.gateway_port}"
    phone = TelephonySettings.load(settings)
    lines = [
        f"机器人已启动：网关 {url}（健康检查 {url}/health）",
        "  终端对话：.venv/bin/bot chat",
        f"  接口示例：curl -s {url}/api/chat -H 'content-type: application/json' "
        "-d '{\"text\": \"社保卡丢了怎么补办\"}'",
        "  统计：.venv/bin/bot stats",
    ]
    if phone.sip_enabled:
        lines.append(f"  电话（SIP）：udp {phone.sip_host}:{phone.sip_port}，"
                     f"转人工到 {phone.agent_uri}")
    if phone.audiosocket_enabled:
        lines.append(f"  电话（Asterisk AudioSocket）：tcp {phone.audiosocket_host}:"
                     f"{phone.audiosocket_port}")
    lines.append("按 Ctrl+C 停止。")
    return "\n".join(lines)


def serve_until_stopped(supervisor: object) -> int:
    from bot.serve.supervisor import Supervisor

    assert isinstance(supervisor, Supervisor)
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    warned: set[str] = set()
    try:
        while not stopping:
            alive = supervisor.alive()
            if not alive.get("gateway", True):
                log = supervisor.settings.data_dir / "logs" / "gateway.log"
                print(f"Error: the gateway stopped; see {log}")
                return 1
            for name, up in alive.items():
                if not up and name not in warned:
                    warned.add(name)
                    print(f"警告：{name} 已停止，网关以降级模式直接回答 FAQ。")
            time.sleep(0.5)
    finally:
        supervisor.stop()
    print("已停止。")
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.serve.supervisor import PARTS, Supervisor

    parts = tuple(p for p in PARTS if not (args.without_rasa and p == "rasa"))
    supervisor = Supervisor(settings, parts)
    supervisor.check()  # a bad setting or a taken port stops here, before "starting"
    print("正在启动 " + "、".join(parts) + " …")
    supervisor.start()
    print(banner(settings))
    return serve_until_stopped(supervisor)
