"""Nothing leaves a dead line: over the call limit a busy prompt and a transfer; a failing
recognizer or synthesizer an apology and a hand-over; a refused transfer an apology and
the call goes on; a dialog hand-over keeps the dialog's own summary."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.engine.types import Decision
from bot.store.base import Outcome, TransferReason
from bot.telephony.flow import APOLOGY, BUSY, TRANSFER_FAILED, DivertedCall, PhoneCall
from tests.unit.gateway.gateway_fakes import FakeEngine, result
from tests.unit.telephony.conftest import MakeHarness
from tests.unit.telephony.telephony_fakes import (
    CALL_ID,
    QUESTION,
    FailingTranscriber,
    FakeControl,
    FakeSynth,
    speak,
    until,
)

AGENTS = "sip:queue@10.0.0.5"


def test_a_call_over_the_limit_hears_busy_and_is_transferred(make_harness: MakeHarness) -> None:
    h = make_harness(max_calls=1)

    async def run() -> tuple[Any, Any, FakeControl]:
        _, first = await h.call(FakeControl(call_id="11111111-1111-1111-1111-111111111111"))
        second_control = FakeControl(call_id="22222222-2222-2222-2222-222222222222")
        second = await h.bot.accept(second_control)
        await until(lambda: bool(second_control.transfers))
        return first, second, second_control

    first, second, control = asyncio.run(run())
    assert isinstance(first, PhoneCall) and isinstance(second, DivertedCall)
    assert BUSY in h.synth.said and control.transfers == [AGENTS]
    assert (h.bot.active_calls, h.bot.busy_calls) == (1, 1)


def test_a_slot_frees_when_a_call_ends(make_harness: MakeHarness) -> None:
    h = make_harness(max_calls=1)

    async def run() -> Any:
        _, first = await h.call(FakeControl(call_id="11111111-1111-1111-1111-111111111111"))
        await first.on_hangup("caller_bye")
        _, second = await h.call(FakeControl(call_id="22222222-2222-2222-2222-222222222222"))
        return second

    assert isinstance(asyncio.run(run()), PhoneCall)


def test_a_failing_recognizer_gets_an_apology_and_a_human(make_harness: MakeHarness) -> None:
    h = make_harness(transcriber=FailingTranscriber())

    async def run() -> list[str]:
        control, handler = await h.call()
        await speak(handler)
        await until(lambda: bool(control.transfers))
        return control.transfers

    assert asyncio.run(run()) == [AGENTS]
    assert APOLOGY in h.synth.said
    record = h.store.get_session(CALL_ID)
    assert record is not None and record.reason is TransferReason.REPEATED_FAILURE
    assert record.handover_summary["trigger"] == "asr_failed"


def test_a_failing_synthesizer_still_plays_the_apology_made_at_start(
    make_harness: MakeHarness,
) -> None:
    synth = FakeSynth()
    h = make_harness(synth=synth)
    h.bot.warm_up()  # every prompt synthesized once
    synth.fail_after = len(synth.said)  # from now on espeak-ng fails

    async def run() -> tuple[list[bytes], list[str]]:
        control, handler = await h.call()
        await speak(handler)
        await until(lambda: bool(control.transfers))
        return control.played, control.transfers

    played, transfers = asyncio.run(run())
    assert transfers == [AGENTS]
    assert played[-1] == h.bot._prompts[APOLOGY] and played[-1]
    record = h.store.get_session(CALL_ID)
    assert record is not None and record.handover_summary["trigger"] == "tts_failed"


def test_a_recognizer_that_cannot_start_diverts_to_the_agents(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def broken() -> None:
        raise RuntimeError("model folder missing")

    h.voice.ensure_ready = broken  # type: ignore[method-assign]

    async def run() -> tuple[Any, FakeControl]:
        control = FakeControl()
        handler = await h.bot.accept(control)
        await until(lambda: bool(control.transfers))
        return handler, control

    handler, control = asyncio.run(run())
    assert isinstance(handler, DivertedCall) and APOLOGY in h.synth.said
    assert h.bot.active_calls == 0


def test_a_refused_transfer_is_apologised_for_and_the_call_goes_on(
    make_harness: MakeHarness,
) -> None:
    h = make_harness()

    async def run() -> tuple[FakeControl, Any]:
        control, handler = await h.call(FakeControl(transfer_ok=False))
        await handler.on_dtmf("0")
        await until(lambda: TRANSFER_FAILED in h.synth.said)
        await asyncio.sleep(0.3)  # let the apology play
        await speak(handler)
        await until(lambda: len(h.store.get_turns(CALL_ID)) == 1)
        return control, handler

    control, handler = asyncio.run(run())
    assert control.transfers == [AGENTS] and not handler.transferring


def test_a_dialog_hand_over_keeps_the_dialogs_summary(make_harness: MakeHarness) -> None:
    engine = FakeEngine({QUESTION: result(QUESTION, Decision.HANDOVER, [("SB001", 0.31)])})
    h = make_harness(engine=engine)

    async def run() -> list[str]:
        control, handler = await h.call()
        await speak(handler)
        await until(lambda: bool(control.transfers))
        return control.transfers

    assert asyncio.run(run()) == [AGENTS]
    record = h.store.get_session(CALL_ID)
    assert record is not None
    assert (record.outcome, record.reason) == (Outcome.TRANSFERRED, TransferReason.LOW_CONFIDENCE)
    assert record.handover_summary["question"] == QUESTION
    assert "trigger" not in record.handover_summary  # the engine's summary, not ours
