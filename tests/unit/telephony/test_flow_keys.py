"""Keys on a call: 0 always hands over with the call's context, 1/2 answer "did that
help?" (through rasa, or locally while rasa is down), a digit picks a numbered choice."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.engine.types import Decision
from bot.store.base import Outcome, TransferReason
from bot.telephony.dialog import HELPED
from tests.unit.gateway.gateway_fakes import FakeEngine, FakeRasa, faq_payload, rest_items, result
from tests.unit.telephony.conftest import MakeHarness
from tests.unit.telephony.telephony_fakes import ANSWER, CALL_ID, QUESTION, speak, until

AGENTS = "sip:queue@10.0.0.5"
HELPED_QUESTION = "请问这个回答对您有帮助吗？"


async def answered_call(h: Any) -> tuple[Any, Any]:
    control, handler = await h.call()
    await speak(handler)
    await until(lambda: len(control.played) == 2)
    return control, handler


def test_key_0_transfers_and_records_the_call_context(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> list[str]:
        control, handler = await answered_call(h)
        await handler.on_dtmf("0")
        await until(lambda: bool(control.transfers))
        return control.transfers

    assert asyncio.run(run()) == [AGENTS]
    record = h.store.get_session(CALL_ID)
    assert record is not None
    assert (record.outcome, record.reason) == (Outcome.TRANSFERRED, TransferReason.CITIZEN_REQUEST)
    assert record.handover_summary == {
        "question": QUESTION,
        "tried": ["SFZ001"],
        "candidates": [{"faq_id": "SFZ001", "score": 0.93}, {"faq_id": "SFZ002", "score": 0.61}],
        "reason": "citizen_request",
        "transcript": [QUESTION],
        "call_id": CALL_ID,
        "trigger": "dtmf_0",
    }
    assert "好的，正在为您转接人工客服，请稍候。" in h.synth.said


def test_key_0_during_the_greeting_stops_it_and_transfers(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> tuple[int, list[str]]:
        control, handler = await h.call()
        await until(lambda: control.playback_pending_s() > 0)
        await handler.on_dtmf("0")
        await until(lambda: bool(control.transfers))
        return control.stops, control.transfers

    stops, transfers = asyncio.run(run())
    assert stops >= 1 and transfers == [AGENTS]
    record = h.store.get_session(CALL_ID)
    assert record is not None and record.handover_summary["question"] == ""


def test_key_1_after_an_answer_tells_rasa_it_helped(make_harness: MakeHarness) -> None:
    rasa = FakeRasa(replies={
        QUESTION: rest_items(ANSWER, HELPED_QUESTION,
                             custom=faq_payload("answer", "SFZ001", [("SFZ001", 0.93)])),
        "有帮助": rest_items("很高兴能帮到您！还有其他问题吗？"),
    })
    h = make_harness(rasa=rasa)

    async def run() -> None:
        control, handler = await answered_call(h)
        await handler.on_dtmf("1")
        await until(lambda: len(control.played) == 3)

    asyncio.run(run())
    assert [text for _, text, _ in rasa.sent] == [QUESTION, "有帮助"]
    answer = h.synth.said[1]
    assert answer.count("有帮助吗") == 1  # rasa's question became the keypad one
    assert "请按一" in answer


def test_key_1_while_rasa_is_down_confirms_the_answer(make_harness: MakeHarness) -> None:
    h = make_harness(rasa=FakeRasa(down=True))

    async def run() -> None:
        control, handler = await answered_call(h)
        await handler.on_dtmf("1")
        await until(lambda: len(control.played) == 3)

    asyncio.run(run())
    record = h.store.get_session(CALL_ID)
    assert record is not None
    assert (record.outcome, record.confirmed, record.faq_id) == (Outcome.DEFLECTED, True, "SFZ001")
    assert h.synth.said[-1] == HELPED


def test_key_2_while_rasa_is_down_hands_over(make_harness: MakeHarness) -> None:
    h = make_harness()  # rasa None: the degraded path

    async def run() -> list[str]:
        control, handler = await answered_call(h)
        await handler.on_dtmf("2")
        await until(lambda: bool(control.transfers))
        return control.transfers

    assert asyncio.run(run()) == [AGENTS]
    record = h.store.get_session(CALL_ID)
    assert record is not None and record.reason is TransferReason.NEGATIVE_FEEDBACK
    assert record.handover_summary["tried"] == ["SFZ001"]


def test_a_digit_picks_a_numbered_choice(make_harness: MakeHarness) -> None:
    engine = FakeEngine({QUESTION: result(QUESTION, Decision.CLARIFY,
                                          [("SFZ001", 0.7), ("SFZ002", 0.68)])})
    h = make_harness(engine=engine)

    async def run() -> None:
        control, handler = await h.call()
        await speak(handler)
        await until(lambda: len(control.played) == 2)
        await handler.on_dtmf("2")
        await until(lambda: len(control.played) == 3)

    asyncio.run(run())
    assert "按对应的数字键" in h.synth.said[1]
    assert h.synth.said[2].startswith("到期前三个月内到派出所换领")  # SFZ002's answer
    turns = h.store.get_turns(CALL_ID)
    assert [t.text for t in turns] == [QUESTION, "第2个"]


def test_a_key_that_means_nothing_is_ignored(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> int:
        control, handler = await h.call()
        await handler.on_dtmf("7")
        await asyncio.sleep(0.2)
        return len(control.played)

    assert asyncio.run(run()) == 1  # the greeting only
    assert h.store.get_turns(CALL_ID) == []
