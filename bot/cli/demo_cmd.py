"""`bot demo`: the README's main job. Starts the whole bot on the embedded default, replays
the bundled sample questions through it, prints the statistics, then keeps serving."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings

SAMPLE = PROJECT_ROOT / "examples" / "sample_questions.csv"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="启动整个机器人，回放内置示例问题并打印统计，然后继续服务",
        description="Start everything, replay the bundled sample questions, print statistics.",
    )
    p.add_argument("--file", type=Path, default=SAMPLE, help="questions to replay")
    p.add_argument("--exit", action="store_true", help="stop after printing the statistics")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.replay_cmd import load_texts, print_summary
    from bot.cli.serve_cmd import banner, serve_until_stopped
    from bot.replay import replay, summarize
    from bot.serve.supervisor import Supervisor

    texts, details = load_texts(args.file, None, None, None)
    supervisor = Supervisor(settings)
    supervisor.check()  # a bad setting or a taken port stops here, before "starting"
    print("正在启动 rasa、动作服务与网关（首次启动约需 30-60 秒）…", flush=True)
    supervisor.start()
    try:
        # The store keeps naive local times, and `stats --since` reads local time.
        since = (datetime.now() - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
        url = f"http://{settings.gateway_host}:{settings.gateway_port}"
        print(f"回放 {len(texts)} 条示例问题：{args.file}", flush=True)
        rows = asyncio.run(replay(url, texts, details, concurrency=4))
        for r in rows:
            print(f"  {r.input[:28]:<30} {r.intent or '-':<14} {r.decision:<10} "
                  f"{r.outcome or '-':<12} {r.faq_id or ''}")
        print_summary(summarize(rows))
        print("\n统计（bot stats --since 本次启动）：", flush=True)
        subprocess.run([sys.executable, "-m", "bot.cli.main", "stats", "--since", since],
                       check=False)
    except BaseException:
        supervisor.stop()
        raise
    if args.exit:
        supervisor.stop()
        return 0
    print()
    print(banner(settings), flush=True)
    return serve_until_stopped(supervisor)
