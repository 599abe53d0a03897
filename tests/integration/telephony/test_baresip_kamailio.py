"""The realistic end to end: baresip (a real softphone) calls the bot through Kamailio
(stock configuration: proxy, in-memory registrar, Record-Route), where the bot is
registered as the extension "bot". The caller hears the bot (baresip's recording of what
it received), the bot hears the caller, and a REFER makes baresip call the agent queue
(sipp as UAS). With the real call flow the caller asks by voice, hears the answer and
presses 0 for a human. All processes on loopback, under timeouts, ended by their pids."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.conversation import ConversationService
from bot.store.sql import SqlStore
from bot.telephony.config import TelephonySettings
from bot.telephony.flow import CallBot, session_id_for
from bot.telephony.sip.codec import CODECS
from bot.voice.cer import cer_count
from bot.voice.service import VoiceService
from bot.voice.tts import EspeakSynthesizer
from tests.integration.telephony.sip_harness import (
    RecordingAcceptor,
    RecordingHandler,
    baresip,
    best_correlation,
    bot,
    free_port,
    g711_copy,
    kamailio,
    need,
    pcm16_copy,
    rms,
    run,
    scenario,
    sipp,
    speech_sample,
    wav_frames,
)
from tests.integration.telephony.test_audiosocket_call import AnswerEverything
from tests.integration.telephony.test_sip_flow import (  # noqa: F401 - fixtures
    SpyingAcceptor,
    reference,
    transcriber,
)

pytestmark = pytest.mark.integration


def test_baresip_through_kamailio_hears_the_bot_and_is_transferred(tmp_path: Path) -> None:
    need("sipp", "sip-tester")
    need("baresip", "baresip-core")
    recording = speech_sample()
    greeting = CODECS["PCMA"].decode(wav_frames(g711_copy(recording, tmp_path, "PCMA")))
    caller_wav = pcm16_copy(recording, tmp_path, seconds_silence=20)  # aufile hangs up at EOF
    proxy, queue = free_port(), free_port()
    queue_uri = f"sip:queue@127.0.0.1:{queue}"
    transfers: list[bool] = []

    async def greet_then_transfer(handler: RecordingHandler) -> None:
        handler.control.play(greeting)
        while handler.control.playback_pending_s() > 0:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        transfers.append(await handler.control.transfer(queue_uri))

    acceptor = RecordingAcceptor(then=greet_then_transfer)
    queue_xml = scenario("uas_queue.xml", tmp_path)

    async def call() -> tuple[int, str, list[Path], str]:
        async with kamailio(proxy, tmp_path):
            async with bot(acceptor, registrar=f"sip:127.0.0.1:{proxy}", rtp_timeout_s=15) as ua:
                await asyncio.wait_for(ua.registration.registered.wait(), 10)  # type: ignore[attr-defined]
                queue_job = asyncio.ensure_future(
                    sipp(queue_xml, f"127.0.0.1:{proxy}", timeout=45, port=queue)
                )
                async with baresip(tmp_path / "baresip", caller_wav) as phone:
                    await phone.command("dial", f"sip:bot@127.0.0.1:{proxy}")
                    queued = await queue_job
                    await asyncio.wait_for(acceptor.handlers[0].ended.wait(), 10)
                    await phone.command("quit")
                    await asyncio.sleep(0.5)
                return (
                    queued.returncode,
                    queued.output,
                    phone.decoded(),
                    phone.log.read_text(errors="replace"),
                )

    rc, log, heard_files, phone_log = run(call(), timeout=120)  # type: ignore[misc]
    assert rc == 0, log + phone_log[-3000:]  # baresip followed the REFER to the queue
    assert transfers == [True]
    handler = acceptor.handlers[0]
    assert handler.hangups == ["transferred"]
    assert "caller" in handler.control.caller
    # the bot heard the caller's recording
    sent = wav_frames(caller_wav)[: len(greeting)]
    bot_heard, _ = best_correlation(sent, bytes(handler.audio)[: len(sent) + 16000])
    # the caller heard the bot: baresip's recording of the first call
    assert heard_files, phone_log[-3000:]
    heard = wav_frames(heard_files[0])
    caller_heard, lag = best_correlation(greeting, heard)
    print(
        f"baresip heard {len(heard) / 16000:.2f} s, rms {rms(heard):.0f}, correlation with "
        f"the bot's prompt {caller_heard:.3f} (lag {lag}); the bot heard the caller at "
        f"{bot_heard:.3f}; files {[p.name for p in heard_files]}"
    )
    assert rms(heard) > 100
    assert caller_heard > 0.9
    assert bot_heard > 0.9


def test_baresip_asks_by_voice_hears_the_answer_and_key_0_transfers(  # noqa: F811
    tmp_path: Path,
    transcriber: Any,  # noqa: F811 - the fixture of test_sip_flow
    reference: str,  # noqa: F811
) -> None:
    """With the real call flow: the caller's spoken question is transcribed and answered,
    baresip's recording holds the answer's audio, and key 0 hands the call to the queue."""
    need("sipp", "sip-tester")
    need("baresip", "baresip-core")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    caller_wav = pcm16_copy(speech_sample(), tmp_path, seconds_silence=60)
    proxy, queue = free_port(), free_port()
    store = SqlStore(f"sqlite:///{tmp_path / 'bot.db'}")
    conversation = ConversationService(None, AnswerEverything(), store, 2000)
    voice = VoiceService(conversation, transcriber, EspeakSynthesizer(), store)
    callbot = CallBot(voice, TelephonySettings(agent_uri=f"sip:queue@127.0.0.1:{queue}"), store)
    callbot.warm_up()
    acceptor = SpyingAcceptor(callbot)
    queue_xml = scenario("uas_queue.xml", tmp_path)

    async def call() -> tuple[int, str, str, bytes, list[Path], list[tuple[str, bool]], str]:
        async with kamailio(proxy, tmp_path):
            async with bot(acceptor, registrar=f"sip:127.0.0.1:{proxy}", rtp_timeout_s=60) as ua:  # type: ignore[arg-type]
                await asyncio.wait_for(ua.registration.registered.wait(), 10)  # type: ignore[attr-defined]
                queue_job = asyncio.ensure_future(
                    sipp(queue_xml, f"127.0.0.1:{proxy}", timeout=120, port=queue)
                )
                async with baresip(tmp_path / "baresip", caller_wav, seconds=120) as phone:
                    await phone.command("dial", f"sip:bot@127.0.0.1:{proxy}")
                    await asyncio.wait_for(acceptor.accepted.wait(), 15)
                    spy = acceptor.spies[0]
                    session = session_id_for(spy.call_id)
                    loop = asyncio.get_running_loop()
                    deadline = loop.time() + 90
                    while not store.get_turns(session):
                        assert loop.time() < deadline, "no turn within 90 s"
                        await asyncio.sleep(0.2)
                    # played[0] is the greeting; the answer (in one or more pieces) follows it
                    while len(spy.played) < 2 or spy.playback_pending_s() > 0:
                        assert loop.time() < deadline, "the answer was not played within 90 s"
                        await asyncio.sleep(0.1)
                    answer = b"".join(spy.played[1:])
                    await asyncio.sleep(0.5)
                    await phone.key("0")  # the caller asks for a human
                    queued = await queue_job
                    await phone.command("quit")
                    await asyncio.sleep(0.5)
                # all the caller's turns: the endpoint may cut the question at a pause
                text = "".join(turn.text for turn in store.get_turns(session))
                return (
                    queued.returncode,
                    queued.output,
                    text,
                    answer,
                    phone.decoded(),
                    spy.transfers,
                    phone.log.read_text(errors="replace"),
                )

    rc, log, text, answer, heard_files, transfers, phone_log = run(call(), timeout=200)  # type: ignore[misc]
    store.close()
    score = cer_count(reference, text).cer
    assert heard_files, phone_log[-3000:]
    heard = wav_frames(heard_files[0])
    found, lag = best_correlation(answer, heard)
    print(
        f"transcript {text!r} (CER {score:.2f}); answer {len(answer) / 16000:.1f} s found in "
        f"baresip's recording at {lag / 8000:.2f} s, correlation {found:.3f}; {transfers}; "
        f"{[(p.name, p.stat().st_size) for p in heard_files]}"
    )
    assert score < 0.5, (text, reference)
    assert found > 0.8  # what baresip heard holds the spoken answer
    sent = "send DTMF digit: '0'" in phone_log
    assert transfers == [(f"sip:queue@127.0.0.1:{queue}", True)], (
        f"baresip {'sent' if sent else 'did not send'} key 0")
    assert rc == 0, log + phone_log[-3000:]  # baresip called the queue after the REFER
