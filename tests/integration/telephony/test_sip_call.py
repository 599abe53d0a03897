"""Calls into the bot's SIP adapter from sipp (real processes on loopback): caller audio
in PCMA and PCMU carrying a real Mandarin recording, a key by RFC 4733, the bot's own
audio paced in 20 ms frames, BYE from either side, transfer by REFER (with and without a
digest challenge). Skipped when sipp (Debian sip-tester) or the recording is absent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from bot.telephony.sip.codec import CODECS
from tests.integration.telephony.sip_harness import (
    DTMF_PCAP,
    RecordingAcceptor,
    RecordingHandler,
    RtpCapture,
    best_correlation,
    bot,
    free_port,
    g711_copy,
    need,
    rms,
    run,
    scenario,
    sipp,
    speech_sample,
    wav_frames,
)

pytestmark = pytest.mark.integration

PT = {"PCMA": 8, "PCMU": 0}


def _speech_call(tmp_path: Path, codec: str) -> tuple[bytes, RecordingHandler, int, str]:
    need("sipp", "sip-tester")
    wav = g711_copy(speech_sample(), tmp_path, codec)
    sent = CODECS[codec].decode(wav_frames(wav))  # what the caller's line carries, as PCM
    duration_ms = int(len(sent) / 16)
    xml = scenario(
        "uac_speech.xml",
        tmp_path,
        audio=wav,
        pt=PT[codec],
        codec=codec,
        media_port="[rtpstream_audio_port]",
        talk_ms=duration_ms + 400,
        dtmf=DTMF_PCAP,
    )
    acceptor = RecordingAcceptor()

    async def call() -> tuple[int, str]:
        async with bot(acceptor) as ua:
            result = await sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=40)
            await asyncio.wait_for(acceptor.handlers[0].ended.wait(), 5)
            return result.returncode, result.output

    rc, log = run(call())  # type: ignore[misc]
    return sent, acceptor.handlers[0], rc, log


@pytest.mark.parametrize("codec", ["PCMA", "PCMU"])
def test_caller_audio_arrives_decoded(tmp_path: Path, codec: str) -> None:
    sent, handler, rc, log = _speech_call(tmp_path, codec)
    assert rc == 0, log
    got = bytes(handler.audio)
    correlation, lag = best_correlation(sent, got)
    print(
        f"{codec}: sent {len(sent) / 16:.0f} ms, got {len(got) / 16:.0f} ms, "
        f"correlation {correlation:.4f} at lag {lag}, keys {handler.keys}"
    )
    assert correlation > 0.95, (correlation, lag)
    assert abs(len(got) - len(sent)) / 16 < 200, (len(got) / 16, len(sent) / 16)  # ms
    assert rms(got) > 100
    assert handler.keys == ["1"]
    assert handler.hangups == ["caller_bye"]


def test_bot_audio_is_paced_in_20ms_frames(tmp_path: Path) -> None:
    need("sipp", "sip-tester")
    speech = CODECS["PCMA"].decode(wav_frames(g711_copy(speech_sample(), tmp_path, "PCMA")))
    speech = speech[: 8000 * 2 * 3]  # 3 s of the recording as the bot's "prompt"

    async def play(handler: RecordingHandler) -> None:
        handler.control.play(speech)

    acceptor = RecordingAcceptor(then=play)
    capture = RtpCapture()

    async def call() -> tuple[int, str]:
        loop = asyncio.get_running_loop()
        port = free_port(even=True)
        transport, _ = await loop.create_datagram_endpoint(
            lambda: capture, local_addr=("127.0.0.1", port)
        )
        xml = scenario(
            "uac_listen.xml", tmp_path, media_port=port, pt=8, codec="PCMA", talk_ms=4000
        )
        try:
            async with bot(acceptor) as ua:
                result = await sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=30)
        finally:
            transport.close()
        return result.returncode, result.output

    rc, log = run(call())  # type: ignore[misc]
    assert rc == 0, log
    times = np.array([t for t, _ in capture.packets])
    packets = [p for _, p in capture.packets]
    assert len(packets) >= 150, len(packets)  # ~4 s of 20 ms frames (some before the ACK)
    gaps = np.diff(times) * 1000
    print(
        f"bot RTP: {len(packets)} packets, gap mean {np.mean(gaps):.2f} ms, "
        f"p50 {np.percentile(gaps, 50):.2f}, p90 |dev| {np.percentile(np.abs(gaps - 20), 90):.2f}, "
        f"max {np.max(gaps):.2f} ms"
    )
    assert 19.5 < float(np.mean(gaps)) < 20.5, float(np.mean(gaps))
    assert float(np.percentile(np.abs(gaps - 20), 90)) < 8, np.percentile(np.abs(gaps - 20), 90)
    assert all(p.payload_type == 8 and len(p.payload) == 160 for p in packets)
    seqs = np.diff([p.sequence for p in packets]) % 65536
    assert set(seqs.tolist()) == {1}
    stamps = np.diff([p.timestamp for p in packets]) % 2**32
    assert set(stamps.tolist()) == {160}
    heard = b"".join(CODECS["PCMA"].decode(p.payload) for p in packets)
    correlation, _ = best_correlation(speech, heard)
    print(f"bot RTP: correlation with the prompt {correlation:.4f}, rms {rms(heard):.0f}")
    assert correlation > 0.95, correlation
    assert rms(heard) > 100


def test_bot_hangs_up_with_bye(tmp_path: Path) -> None:
    need("sipp", "sip-tester")

    async def hang_up(handler: RecordingHandler) -> None:
        await asyncio.sleep(1.0)
        await handler.control.hangup()

    acceptor = RecordingAcceptor(then=hang_up)
    xml = scenario(
        "uac_wait_bye.xml",
        tmp_path,
        media_port=free_port(even=True),
        pt=8,
        codec="PCMA",
        wait_ms=10000,
    )

    async def call() -> tuple[int, str, object]:
        async with bot(acceptor) as ua:
            result = await sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=30)
            return result.returncode, result.output, dict(ua.calls)

    rc, log, calls = run(call())  # type: ignore[misc]
    assert rc == 0, log
    assert calls == {}
    assert acceptor.handlers[0].hangups == ["error"]  # the bot's own hang-up


@pytest.mark.parametrize("auth", [False, True])
def test_transfer_by_refer(tmp_path: Path, auth: bool) -> None:
    need("sipp", "sip-tester")
    target = "sip:queue@127.0.0.1:5090"
    results: list[bool] = []

    async def transfer(handler: RecordingHandler) -> None:
        await asyncio.sleep(0.5)
        results.append(await handler.control.transfer(target))

    acceptor = RecordingAcceptor(then=transfer)
    name = "uac_refer_auth.xml" if auth else "uac_refer.xml"
    xml = scenario(
        name,
        tmp_path,
        media_port=free_port(even=True),
        pt=8,
        codec="PCMA",
        refer_to="queue@127\\.0\\.0\\.1:5090",
        user="bot",
        password="s3cret",
    )

    async def call() -> tuple[int, str]:
        async with bot(acceptor, password="s3cret") as ua:
            result = await sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=40)
            await asyncio.wait_for(acceptor.handlers[0].ended.wait(), 5)
            return result.returncode, result.output

    rc, log = run(call())  # type: ignore[misc]
    assert rc == 0, log
    assert results == [True]
    assert acceptor.handlers[0].hangups == ["transferred"]
