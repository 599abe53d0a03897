"""Every Chinese text the custom actions say, in one place (texts from the dialog contract)."""

from __future__ import annotations

HELPED_QUESTION = "请问这个回答对您有帮助吗？"
FEEDBACK_BUTTONS = (
    {"title": "有帮助", "payload": "/affirm"},
    {"title": "没帮助", "payload": "/deny"},
)
CLARIFY = "您想问的是下面哪一个？"
CHOICE_REASK = "抱歉，我没能确定您选的是哪一个。"
# Button payloads are plain text, so a click goes through NLU like a spoken "第2个".
CHOICE_PAYLOAD = "第{n}个"
HELPED = "很高兴能帮到您！还有其他问题吗？"
NEXT_CANDIDATE = "那您看看这个是否是您要问的："
HANDOVER = "好的，正在为您转接人工客服，请稍候。"
ENGINE_DOWN = "抱歉，智能客服暂时无法查询，正在为您转接人工客服，请稍候。"
NOT_UNDERSTOOD = "抱歉，我没有听明白。您可以换个说法，或者说“转人工”。"
ASK_QUESTION = "请您说一下想咨询的问题。"
TOO_LONG = "您的消息太长了，请简要说明您要咨询的问题。"
PHONE_INVALID = "电话号码好像不对，请再说一遍，或者说“不留”。"
WORK_ORDER_DONE = "已为您登记工单，工单号 {number}，相关部门会在 3 个工作日内处理并回复。"
WORK_ORDER_FAILED = "抱歉，工单暂时没有登记成功，正在为您转接人工客服，请稍候。"


def numbered(questions: list[str]) -> str:
    return "\n".join(f"{n}. {q}" for n, q in enumerate(questions, 1))


def choice_buttons(questions: list[str]) -> list[dict[str, str]]:
    return [{"title": q, "payload": CHOICE_PAYLOAD.format(n=n)} for n, q in enumerate(questions, 1)]
