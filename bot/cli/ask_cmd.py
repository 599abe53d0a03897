"""`bot ask "问题"`: the FAQ engine's decision, candidates and scores as JSON."""

from __future__ import annotations

import argparse
import json

from bot.errors import InputError
from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "ask", help="用 FAQ 引擎回答一个问题，输出决策、候选与分数（JSON）",
        description="Ask the FAQ engine one question; prints the decision and candidates.",
    )
    p.add_argument("question", help="the citizen's question, e.g. 身份证丢了怎么补办")
    p.add_argument("--answers", action="store_true", help="include the full answer texts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.engine.service import FaqService

    text = args.question.strip()
    if not text:
        raise InputError("the question is empty: give the text to ask, e.g. bot ask \"社保卡丢了\"")
    if len(text) > settings.max_message_chars:
        raise InputError(
            f"the question has {len(text)} characters; at most {settings.max_message_chars}"
        )
    result = FaqService.from_settings(settings).load().ask(text).to_dict()
    if not args.answers:
        for c in result["candidates"]:
            c.pop("answer", None)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
