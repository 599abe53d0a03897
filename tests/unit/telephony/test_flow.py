"""The call flow with a fake CallControl, the energy-triggered fake recognizer and a tone
synthesizer over the real VoiceService, ConversationService (degraded: no rasa) and
SqlStore: greeting, a spoken question answered, barge-in, hang-up outcomes, silence."""

from __future__ import annotations

import asyncio

from bot.store.base import Channel, Outcome
from bot.telephony.dialog import FEEDBACK_PROMPT
from bot.telephony.flow import STILL_THERE
from bot.voice.session import GREETING
from tests.unit.telephony.conftest import MakeHarness
from tests.unit.telephony.telephony_fakes import (
    ANSWER,
    CALL_ID,
    MS_PER_CHAR,
    QUESTION,
    FakeSynth,
    frames,
    speak,
    tone,
    until,
)


def test_the_greeting_is_played_at_8_khz(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> None:
        control, _ = await h.call()
        await until(lambda: bool(control.played))
        assert h.synth.said[0] == GREETING
        expected = len(GREETING) * MS_PER_CHAR / 1000 * 8000 * 2
        assert abs(len(control.played[0]) - expected) <= 4

    asyncio.run(run())


def test_an_answered_call_is_logged_as_a_phone_session(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> None:
        control, handler = await h.call()
        await speak(handler)
        await until(lambda: len(control.played) == 2)

    asyncio.run(run())
    spoken = h.synth.said[-1]
    assert spoken.startswith(ANSWER)
    assert "有帮助请按一或说有帮助" in spoken  # FEEDBACK_PROMPT, numbers read out
    (turn,) = h.store.get_turns(CALL_ID)
    assert (turn.channel, turn.text, turn.faq_id) == (Channel.PHONE, QUESTION, "SFZ001")
    assert FEEDBACK_PROMPT.startswith("请问这个回答对您有帮助吗")


def test_speaking_over_the_greeting_stops_playback(make_harness: MakeHarness) -> None:
    h = make_harness(synth=FakeSynth(ms_per_char=50))  # a 1.75 s greeting

    async def run() -> tuple[int, float]:
        control, handler = await h.call()
        await until(lambda: control.playback_pending_s() > 0)
        for frame in frames(tone(0.3)):  # 0.3 s of speech, greeting still playing
            await handler.on_audio(frame)
        await until(lambda: control.stops > 0)
        return control.stops, control.playback_pending_s()

    stops, pending = asyncio.run(run())
    assert stops >= 1 and pending == 0.0


def test_hanging_up_during_the_greeting_is_abandoned(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> None:
        control, handler = await h.call()
        await until(lambda: bool(control.played))
        await handler.on_hangup("caller_bye")

    asyncio.run(run())
    record = h.store.get_session(CALL_ID)
    assert record is not None and record.outcome is Outcome.ABANDONED
    assert record.channel is Channel.PHONE
    assert h.bot.active_calls == 0


def test_hanging_up_during_the_answer_is_an_unconfirmed_deflection(
    make_harness: MakeHarness,
) -> None:
    h = make_harness()

    async def run() -> float:
        control, handler = await h.call()
        await speak(handler)
        await until(lambda: len(control.played) == 2)
        pending = control.playback_pending_s()
        await handler.on_hangup("caller_bye")
        return pending

    assert asyncio.run(run()) > 0  # the answer was still playing
    record = h.store.get_session(CALL_ID)
    assert record is not None
    assert (record.outcome, record.confirmed, record.faq_id) == (
        Outcome.DEFLECTED, False, "SFZ001"
    )


def test_audio_after_the_hang_up_is_ignored(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> int:
        control, handler = await h.call()
        await handler.on_hangup("rtp_timeout")
        await speak(handler)
        await asyncio.sleep(0.2)
        return len(control.played)

    assert asyncio.run(run()) <= 1  # at most the greeting
    assert h.store.get_turns(CALL_ID) == []


def test_a_silent_caller_is_asked_then_handed_over(make_harness: MakeHarness) -> None:
    h = make_harness(idle_s=0.3, max_idle_prompts=1)

    async def run() -> list[str]:
        control, handler = await h.call()
        silent = b"\x00\x00" * 160
        while not control.transfers:
            await handler.on_audio(silent)
            await asyncio.sleep(0.02)
        return control.transfers

    assert asyncio.run(run()) == ["sip:queue@10.0.0.5"]
    assert STILL_THERE in h.synth.said
    record = h.store.get_session(CALL_ID)
    assert record is not None and record.outcome is Outcome.TRANSFERRED
    assert record.handover_summary["trigger"] == "no_input"
