"""PhoneDialog, the keypad layer over the conversation: prompts rewritten for the phone,
long answers cut without promising an SMS, keys turned into words, phone numbers keyed."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.gateway.conversation import ChatReply
from bot.gateway.rasa_client import BotMessage
from bot.store.base import Candidate, TransferReason
from bot.telephony.dialog import FEEDBACK_PROMPT, LONG_ANSWER_NOTE, PhoneDialog
from bot.voice.speech_text import SMS_NOTE

LONG = "申请人需携带本人户口簿和近期免冠照片到户籍所在地派出所办理。" * 5 + "详见 www.gov.cn。"


class Scripted:
    def __init__(self, reply: ChatReply) -> None:
        self.reply = reply

    async def handle(self, session_id: str, text: str, channel: Any,
                     asr_confidence: float | None = None) -> ChatReply:
        return self.reply


def handle(reply: ChatReply, text: str = "身份证丢了怎么补办") -> tuple[PhoneDialog, ChatReply]:
    dialog = PhoneDialog(Scripted(reply), "s1")
    return dialog, asyncio.run(dialog.handle("s1", text))


def test_a_long_answer_is_cut_with_a_phone_note_not_an_sms() -> None:
    _, reply = handle(ChatReply("s1", (BotMessage(LONG),), "answer", "SFZ001", degraded=True))
    spoken = reply.messages[0].text
    assert spoken.endswith(LONG_ANSWER_NOTE) and len(spoken) < 130
    assert SMS_NOTE not in spoken
    assert reply.messages[-1].text == FEEDBACK_PROMPT  # added: the degraded answer had none


def test_rasas_feedback_question_becomes_the_keypad_one() -> None:
    buttons = ({"title": "有帮助", "payload": "/affirm"},)
    _, reply = handle(ChatReply("s1", (BotMessage("到派出所办理。"),
                                       BotMessage("请问这个回答对您有帮助吗？", buttons)),
                                "answer", "SFZ001"))
    assert [m.text for m in reply.messages] == ["到派出所办理。", FEEDBACK_PROMPT]
    assert reply.messages[1].buttons == buttons


def test_what_was_tried_is_remembered_for_the_summary() -> None:
    dialog, _ = handle(ChatReply("s1", (BotMessage("到派出所办理。"),), "answer", "SFZ001",
                                 (Candidate("SFZ001", 0.9), Candidate("SFZ002", 0.5))))
    summary = dialog.summary(TransferReason.COMPLAINT, "dtmf_0")
    assert summary["question"] == "身份证丢了怎么补办" and summary["tried"] == ["SFZ001"]
    assert summary["candidates"][1] == {"faq_id": "SFZ002", "score": 0.5}


def test_keys_mean_what_the_last_reply_offered() -> None:
    dialog, _ = handle(ChatReply("s1", (BotMessage("到派出所办理。"),), "answer", "SFZ001"))
    assert (dialog.key_text("1"), dialog.key_text("2"), dialog.key_text("3")) == (
        "有帮助", "没帮助", None
    )


def test_a_phone_number_is_keyed_in_and_ended_with_hash() -> None:
    dialog, _ = handle(ChatReply("s1", (BotMessage("请留下您的联系电话。"),), "work_order",
                                 awaiting="wo_phone"))
    typed = [dialog.key_text(d) for d in "02088886666#"]
    assert typed[:-1] == [None] * 11 and typed[-1] == "02088886666"


def test_a_landline_with_its_area_code_ends_itself_after_12_digits() -> None:
    dialog, _ = handle(ChatReply("s1", (BotMessage("请留下您的联系电话。"),), "work_order",
                                 awaiting="wo_phone"))
    typed = [dialog.key_text(d) for d in "075588886666"]
    assert typed[-1] == "075588886666" and typed[:-1] == [None] * 11


def test_a_mobile_number_ends_itself_after_11_digits() -> None:
    dialog, _ = handle(ChatReply("s1", (BotMessage("请留下您的联系电话。"),), "work_order",
                                 awaiting="wo_phone"))
    typed = [dialog.key_text(d) for d in "13800138000"]
    assert typed[-1] == "13800138000" and typed[:-1] == [None] * 10
