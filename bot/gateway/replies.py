"""What the gateway itself says (the dialog's own texts live in domain.yml and actions/)."""

from __future__ import annotations

from bot.gateway.rasa_client import BotMessage

EMPTY = "请您说一下想咨询的问题。"
TOO_LONG = "您的消息太长了，请简要说明您要咨询的问题（一两句话即可）。"
NO_REPLY = "抱歉，我没有理解您的意思。您可以换个说法，或者说“转人工”。"
HANDOVER = "好的，正在为您转接人工客服，请稍候。"
CLARIFY = "您想问的是下面哪一个？"


def choices_message(choices: list[tuple[str, str]]) -> BotMessage:
    lines = [CLARIFY] + [f"{n}. {question}" for n, (_, question) in enumerate(choices, 1)]
    buttons = tuple(
        {"title": question, "payload": f"第{n}个"} for n, (_, question) in enumerate(choices, 1)
    )
    return BotMessage("\n".join(lines), buttons)
