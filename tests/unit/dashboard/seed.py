"""A deflection log whose every dashboard number is known, written through the Store interface
(start_session, record_turn, end_session, create_work_order, record_handover), never SQL.

Range 2026-03-02 .. 2026-03-04 (the citizens' channels):
  a1 chat  03-02 09:05 answered F1, "helped"              deflected, confirmed
  a2 chat  03-02 09:20 answered F1, no feedback           deflected, unconfirmed
  a3 voice 03-02 10:10 not understood, handed over 10:12  transferred, low_confidence
  a4 phone 03-02 10:40 complaint, handed over 10:45       transferred, complaint
  a5 chat  03-02 14:00 answered F2, "not helped", 14:03   transferred, negative_feedback
  b1 chat  03-03 09:30 answered F2, "helped"              deflected, confirmed
  b2 voice 03-03 09:50 answered F3, no feedback           deflected, unconfirmed
  b3 chat  03-03 10:05 street light, work order 10:08     work_order (category 市政)
  b4 chat  03-03 10:20 asked, never answered, left        abandoned
  b5 phone 03-03 10:30 asked for a human, 10:31           transferred, citizen_request
  b6 replay 03-03 11:00 answered F1, "helped"             test traffic: not a citizen's
  c1 chat  03-04 16:00 still talking                      open
  c2 voice 03-04 10:15 not understood, handed over 10:16  transferred, low_confidence
  o1 chat  02-20 09:00 answered F1, "helped"              outside the range
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.store.base import Channel, Outcome, Store, TransferReason, Turn

SINCE = date(2026, 3, 2)
UNTIL = date(2026, 3, 4)
OUTSIDE = date(2026, 2, 20)
SOCIAL = "社保卡丢了怎么补办"


@dataclass(frozen=True)
class Entry:
    faq_id: str
    question: str
    category: str


ENTRIES = {
    "F1": Entry("F1", "身份证丢了怎么补办", "户政"),
    "F2": Entry("F2", "医保怎么报销", "社保"),
    "F3": Entry("F3", "公积金怎么提取", "公积金"),
}


def lookup(faq_id: str) -> Entry | None:
    return ENTRIES.get(faq_id)


def t(day: int, hh: int, mm: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hh, mm)


def seed(store: Store, set_clock: Callable[[datetime], None]) -> None:
    """`set_clock` moves the store's clock (the time of hand-overs and work orders)."""

    def turn(sid: str, ch: Channel, text: str, at: datetime, **kw: object) -> None:
        store.start_session(sid, ch, at)
        store.record_turn(Turn(sid, ch, text, at, **kw))  # type: ignore[arg-type]

    def answered(sid: str, ch: Channel, at: datetime, faq: str, text: str) -> None:
        turn(sid, ch, text, at, decision="answer", faq_id=faq, intent="ask_question")

    def handover(sid: str, reason: TransferReason, at: datetime) -> None:
        set_clock(at)
        store.record_handover(sid, reason, {"reason": reason.value})

    answered("a1", Channel.CHAT, t(2, 9, 5), "F1", "身份证丢了")
    turn("a1", Channel.CHAT, "有帮助", t(2, 9, 6), intent="affirm", decision="reply")
    store.end_session("a1", Outcome.DEFLECTED, confirmed=True, faq_id="F1", at=t(2, 9, 6))
    answered("a2", Channel.CHAT, t(2, 9, 20), "F1", "身份证掉了怎么办")
    store.end_session("a2", Outcome.DEFLECTED, at=t(2, 9, 30))
    turn("a3", Channel.VOICE, SOCIAL, t(2, 10, 10), decision="handover")
    handover("a3", TransferReason.LOW_CONFIDENCE, t(2, 10, 12))
    turn("a4", Channel.PHONE, "我要投诉物业", t(2, 10, 40), intent="complain")
    handover("a4", TransferReason.COMPLAINT, t(2, 10, 45))
    answered("a5", Channel.CHAT, t(2, 14, 0), "F2", "医保怎么报销")
    turn("a5", Channel.CHAT, "没帮助", t(2, 14, 2), intent="deny", decision="reply")
    handover("a5", TransferReason.NEGATIVE_FEEDBACK, t(2, 14, 3))

    answered("b1", Channel.CHAT, t(3, 9, 30), "F2", "看病报销")
    store.end_session("b1", Outcome.DEFLECTED, confirmed=True, faq_id="F2", at=t(3, 9, 31))
    answered("b2", Channel.VOICE, t(3, 9, 50), "F3", "公积金提取")
    store.end_session("b2", Outcome.DEFLECTED, at=t(3, 9, 55))
    turn("b3", Channel.CHAT, "路灯坏了", t(3, 10, 5), intent="complain")
    set_clock(t(3, 10, 8))
    store.create_work_order("b3", "路灯坏了", "幸福路", "13812345678", "市政")
    turn("b4", Channel.CHAT, "公积金怎么提取", t(3, 10, 20), decision="clarify")
    store.end_session("b4", Outcome.ABANDONED, at=t(3, 10, 25))
    turn("b5", Channel.PHONE, "转人工", t(3, 10, 30), intent="request_human")
    handover("b5", TransferReason.CITIZEN_REQUEST, t(3, 10, 31))
    answered("b6", Channel.REPLAY, t(3, 11, 0), "F1", "身份证丢了")
    store.end_session("b6", Outcome.DEFLECTED, confirmed=True, at=t(3, 11, 1))

    turn("c1", Channel.CHAT, "还在问", t(4, 16, 0))
    turn("c2", Channel.VOICE, SOCIAL, t(4, 10, 15), decision="handover")
    handover("c2", TransferReason.LOW_CONFIDENCE, t(4, 10, 16))

    answered("o1", Channel.CHAT, t(20, 9, 0, month=2), "F1", "身份证丢了")
    store.end_session("o1", Outcome.DEFLECTED, confirmed=True, at=t(20, 9, 1, month=2))
