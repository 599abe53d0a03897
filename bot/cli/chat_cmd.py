"""`bot chat`: talk to the running bot in the terminal."""

from __future__ import annotations

import argparse
import uuid

import httpx

from bot.errors import BotError
from bot.settings import Settings

QUIT = {"exit", "quit", "退出", "再见了"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("chat", help="在终端里和正在运行的机器人对话")
    p.add_argument("--url", default=None, help="gateway URL (default: from the settings)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    url = args.url or f"http://{settings.gateway_host}:{settings.gateway_port}"
    session = f"cli-{uuid.uuid4().hex[:12]}"
    with httpx.Client(base_url=url, timeout=30.0) as client:
        try:
            client.get("/health").raise_for_status()
        except httpx.HTTPError as err:
            raise BotError(f"no bot at {url} ({err}): start it with `bot serve`") from err
        print("您好！请输入问题（输入“退出”结束）。")
        while True:
            try:
                text = input("您：")
            except EOFError:
                break
            if text.strip() in QUIT:
                break
            response = client.post("/api/chat", json={"text": text, "session_id": session})
            body = response.json()
            if response.status_code != 200:
                print(f"（错误：{body.get('error', {}).get('message', response.text)}）")
                continue
            for message in body["messages"]:
                print(f"机器人：{message['text']}")
                for n, button in enumerate(message.get("buttons") or [], 1):
                    print(f"    [{n}] {button['title']}")
        outcome = client.post(f"/api/sessions/{session}/end")
        if outcome.status_code == 200:
            print(f"会话结束：{outcome.json()['outcome']}")
    return 0
