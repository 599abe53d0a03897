"""Barge-in on a call: caller energy stops the bot at once; the VAD (here the fake
recognizer's, 0.1 s of speech) confirms it, or the prompt resumes a little before the cut;
BOT_TELEPHONY_BARGE_IN=vad waits for the VAD."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import numpy as np

from bot.telephony.bargein import EnergyOnset
from bot.voice.session import GREETING
from tests.unit.telephony.conftest import MakeHarness
from tests.unit.telephony.telephony_fakes import FakeSynth, frames, silence, tone, until


def test_energy_onset_needs_60_ms_of_loud_frames() -> None:
    onset = EnergyOnset()
    assert not onset.feed(silence(0.5))
    assert not onset.feed(tone(0.04))
    assert onset.feed(tone(0.02))


def quieter(pcm: bytes, by: int) -> bytes:
    return (np.frombuffer(pcm, "<i2") // by).astype("<i2").tobytes()


def test_steady_line_noise_is_no_speech() -> None:
    onset = EnergyOnset()
    hiss = tone(3.0, freq=3000.0)  # a steady -13 dBFS tone standing in for loud line noise
    onset.feed(hiss[:24000])  # 1.5 s of it: the floor
    onset.reset()
    assert not onset.feed(hiss[24000:])
    assert onset.noise_dbfs > -20.0


def test_speech_over_line_noise_is_heard() -> None:
    onset = EnergyOnset()
    hiss = quieter(tone(2.5, freq=3000.0), 10)  # -33 dBFS: above the absolute floor
    onset.feed(hiss[:32000])  # 2 s to learn it
    onset.reset()
    assert not onset.feed(hiss[32000:])
    assert onset.feed(tone(0.1))  # -13 dBFS: 20 dB above it


def test_the_first_60_ms_of_speech_stop_the_greeting(make_harness: MakeHarness) -> None:
    h = make_harness()

    async def run() -> tuple[float, int]:
        control, handler = await h.call()
        await until(lambda: control.playback_pending_s() > 0)
        started = time.monotonic()
        for frame in frames(tone(0.06)):
            await handler.on_audio(frame)
        return time.monotonic() - started, control.stops

    took, stops = asyncio.run(run())
    assert stops == 1 and took < 0.05  # in on_audio itself, no recognizer round trip


def test_a_noise_that_is_no_speech_resumes_the_prompt(make_harness: MakeHarness) -> None:
    h = make_harness(confirm_s=0.3, synth=FakeSynth(ms_per_char=50))  # a 1.75 s greeting

    async def run() -> tuple[bytes, list[bytes]]:
        control, handler = await h.call()
        await until(lambda: 0 < control.playback_pending_s() < 1.2)  # 0.55 s played
        for frame in frames(tone(0.06) + silence(0.5)):  # a cough: under the VAD's 0.1 s
            await handler.on_audio(frame)
            await asyncio.sleep(0.02)
        await until(lambda: len(control.played) == 2)
        return control.played[0], control.played

    greeting, played = asyncio.run(run())
    rest = played[1]
    assert 0 < len(rest) < len(greeting) and greeting.endswith(rest)
    assert h.synth.said == [GREETING]


def test_speech_the_vad_confirms_is_not_resumed(make_harness: MakeHarness) -> None:
    h = make_harness(confirm_s=0.3)

    async def run() -> int:
        control, handler = await h.call()
        await until(lambda: control.playback_pending_s() > 0.1)
        for frame in frames(tone(0.3)):  # real speech: the VAD starts an utterance
            await handler.on_audio(frame)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        return len(control.played)

    assert asyncio.run(run()) == 1  # nothing replayed (the answer comes after the pause)


def test_vad_mode_does_not_stop_on_energy_alone(make_harness: MakeHarness) -> None:
    h = make_harness()
    h.bot.settings = replace(h.bot.settings, barge_in="vad")

    async def run() -> int:
        control, handler = await h.call()
        await until(lambda: control.playback_pending_s() > 0)
        for frame in frames(tone(0.06)):
            await handler.on_audio(frame)
        return control.stops

    assert asyncio.run(run()) == 0
