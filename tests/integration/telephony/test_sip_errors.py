"""What goes wrong on a real trunk, against the bot's SIP adapter on loopback: a caller
who gives up while it rings (CANCEL), a codec the bot lacks (488), RTP that never comes
(torn down after BOT_SIP_RTP_TIMEOUT_S), malformed messages (400 with the reason, never a
crash), and a flood of INVITEs (503 past the guard, and a normal call still works)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.telephony.sip.codec import CODECS
from tests.integration.telephony.sip_harness import (
    DTMF_PCAP,
    RawSip,
    RecordingAcceptor,
    best_correlation,
    bot,
    free_port,
    g711_copy,
    in_dialog_text,
    invite_text,
    need,
    run,
    scenario,
    sipp,
    speech_sample,
    wav_frames,
)

pytestmark = pytest.mark.integration


def test_cancel_before_answer_gets_487(tmp_path: Path) -> None:
    need("sipp", "sip-tester")
    acceptor = RecordingAcceptor()
    xml = scenario("uac_cancel.xml", tmp_path, media_port=free_port(even=True), pt=8, codec="PCMA")

    async def call() -> tuple[int, str, int]:
        async with bot(acceptor, answer_delay_s=3.0) as ua:
            result = await sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=20)
            await asyncio.sleep(0.2)
            return result.returncode, result.output, len(ua.calls) + len(ua.ports.busy)

    rc, log, left = run(call())  # type: ignore[misc]
    assert rc == 0, log
    assert acceptor.handlers == []  # never answered
    assert left == 0  # no call and no RTP port left behind


def test_unknown_codecs_only_get_488(tmp_path: Path) -> None:
    need("sipp", "sip-tester")
    acceptor = RecordingAcceptor()
    xml = scenario("uac_bad_codec.xml", tmp_path, media_port=free_port(even=True))

    async def call() -> tuple[int, str]:
        async with bot(acceptor) as ua:
            result = await sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=20)
            return result.returncode, result.output

    rc, log = run(call())  # type: ignore[misc]
    assert rc == 0, log  # the scenario demands the 488 and its Warning naming G729
    assert acceptor.handlers == []


def test_call_without_rtp_is_torn_down(tmp_path: Path) -> None:
    need("sipp", "sip-tester")
    acceptor = RecordingAcceptor()
    xml = scenario(
        "uac_wait_bye.xml",
        tmp_path,
        media_port=free_port(even=True),
        pt=8,
        codec="PCMA",
        wait_ms=15000,
    )

    async def call() -> tuple[int, str, float]:
        async with bot(acceptor, rtp_timeout_s=2.0) as ua:
            loop = asyncio.get_running_loop()
            job = asyncio.ensure_future(sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=30))
            await asyncio.wait_for(acceptor.accepted.wait(), 10)
            started = loop.time()
            await asyncio.wait_for(acceptor.handlers[0].ended.wait(), 10)
            elapsed = loop.time() - started
            result = await job
            return result.returncode, result.output, elapsed

    rc, log, elapsed = run(call())  # type: ignore[misc]
    print(f"no RTP: torn down {elapsed:.2f} s after the answer (timeout 2 s)")
    assert rc == 0, log  # sipp got the BYE and answered it
    assert acceptor.handlers[0].hangups == ["rtp_timeout"]
    assert 1.9 < elapsed < 4.0


MALFORMED = [
    # (what is broken, how, the status, a word of the reason phrase)
    ("no Call-ID", dict(drop=("Call-ID",)), 400, "Call-ID"),
    ("CSeq not a number", dict(replace={"CSeq": "abc INVITE"}), 400, "CSeq"),
    ("CSeq method differs", dict(replace={"CSeq": "1 BYE"}), 400, "CSeq"),
    ("Via garbage", dict(replace={"Via": "garbage"}), 400, "Via"),
    ("From unclosed", dict(replace={"From": "<sip:13800000000@127.0.0.1;tag=1"}), 400, "From"),
    ("From without tag", dict(replace={"From": "<sip:13800000000@127.0.0.1>"}), 400, "tag"),
    ("no Contact", dict(drop=("Contact",)), 400, "Contact"),
    ("Content-Length too big", dict(replace={"Content-Length": "5000"}), 400, "Content-Length"),
    ("Max-Forwards not a number", dict(replace={"Max-Forwards": "many"}), 400, "Max-Forwards"),
    ("bad m= line", dict(body="v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio x RTP/AVP 8\r\n"), 488, ""),
    ("SDP of another type", dict(replace={"Content-Type": "text/plain"}), 415, ""),
    ("Require 100rel", dict(replace={"Require": "100rel"}), 420, ""),
]


def test_malformed_messages_get_clear_errors_and_no_crash() -> None:
    acceptor = RecordingAcceptor()

    async def exchange() -> tuple[list[tuple[str, int, str]], int, int, int]:
        async with bot(acceptor) as ua:
            raw = await RawSip.open()
            to = ("127.0.0.1", ua.port)
            seen = []

            async def ask(text: str, call_id: str, branch: str, name: str) -> None:
                raw.send(text, to)
                reply = await raw.final(call_id)
                seen.append((name, reply.status if reply else 0, reply.reason if reply else ""))
                if reply is not None and reply.get("To"):  # ACK it, as a caller would
                    raw.send(in_dialog_text("ACK", raw.port, ua.port, reply, branch, 1), to)

            for n, (name, how, _, _) in enumerate(MALFORMED):
                branch, call_id = f"z9hG4bKbad{n}", f"bad-{n}"
                text = invite_text(raw.port, ua.port, call_id, branch, **how)  # type: ignore[arg-type]
                await ask(
                    text,
                    "" if "drop" in how and "Call-ID" in how["drop"] else call_id,
                    branch,
                    name,
                )
            # a broken request line, another version, a header line without a colon, http:
            broken = [
                ("INVITE sip:", "INVITE  sip:bot SIP/2.0 extra"),
                ("SIP/2.0\r\n", "SIP/3.0\r\n"),
                ("Max-Forwards: 70", "Max-Forwards 70"),
                ("INVITE sip:", "INVITE http:"),
            ]
            for n, (old, new) in enumerate(broken):
                text = invite_text(raw.port, ua.port, f"x{n}", f"z9hG4bKbroken{n}")
                await ask(text.replace(old, new, 1), f"x{n}", f"z9hG4bKbroken{n}", old)
            await asyncio.sleep(0.3)
            while not raw.inbox.empty():
                raw.inbox.get_nowait()
            # bytes that are not SIP at all get no answer, and the socket still works
            for data in (b"\x00\xff\xfe" * 50, b"hello", b"SIP/2.0 200 OK\r\n\r\n", b"\r\n\r\n"):
                raw.send(data, to)
            await asyncio.sleep(0.5)
            answered = raw.inbox.qsize()
            options = invite_text(raw.port, ua.port, "opt1", "z9hG4bKopt1").replace(
                "INVITE", "OPTIONS"
            )
            raw.send(options, to)
            reply = await raw.final("opt1")
            raw.close()
            return seen, answered, reply.status if reply else 0, ua.stats["error"]

    seen, answered, options, errors = run(exchange())  # type: ignore[misc]
    for line in seen:
        print(*line)
    for (name, _, status, word), (_, got, reason) in zip(MALFORMED, seen, strict=False):
        assert got == status, (name, got, reason)
        assert word.lower() in reason.lower(), (name, reason)
    assert [got for _, got, _ in seen[len(MALFORMED) :]] == [400, 505, 400, 416]
    assert answered == 0  # garbage: nothing to answer to
    assert options == 200
    assert errors == 0  # nothing raised inside the user agent


def test_invite_flood_is_limited_and_a_normal_call_still_works(tmp_path: Path) -> None:
    need("sipp", "sip-tester")
    wav = g711_copy(speech_sample(), tmp_path, "PCMA")
    sent = CODECS["PCMA"].decode(wav_frames(wav))
    xml = scenario(
        "uac_speech.xml",
        tmp_path,
        audio=wav,
        pt=8,
        codec="PCMA",
        media_port="[rtpstream_audio_port]",
        talk_ms=len(sent) // 16 + 400,
        dtmf=DTMF_PCAP,
    )
    acceptor = RecordingAcceptor()
    flood = 40

    async def scenario_run() -> tuple[dict[int, int], int, str, int, int]:
        async with bot(acceptor, max_pending=8) as ua:
            raw = await RawSip.open()
            to = ("127.0.0.1", ua.port)
            for i in range(flood):
                raw.send(invite_text(raw.port, ua.port, f"flood-{i}", f"z9hG4bKflood{i:04d}"), to)
            finals = {}
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while len(finals) < flood and loop.time() < deadline:
                msg = await raw.recv(deadline - loop.time())
                if msg is not None and msg.status >= 200:
                    finals.setdefault(msg.call_id, msg)
            for n, msg in enumerate(finals.values()):  # ACK all of them: 2xx and not
                branch = msg.vias[0].branch if msg.status >= 300 else f"z9hG4bKack{n}"
                raw.send(in_dialog_text("ACK", raw.port, ua.port, msg, branch or "", 1), to)
            await asyncio.sleep(0.3)
            # a normal call while the accepted flood calls are still up
            result = await sipp(xml, f"127.0.0.1:{ua.port}", "-s", "bot", timeout=40)
            for n, msg in enumerate(m for m in finals.values() if m.status == 200):
                raw.send(in_dialog_text("BYE", raw.port, ua.port, msg, f"z9hG4bKbye{n}", 2), to)
            await asyncio.sleep(0.5)
            raw.close()
            statuses: dict[int, int] = {}
            for msg in finals.values():
                statuses[msg.status] = statuses.get(msg.status, 0) + 1
            return statuses, result.returncode, result.output, ua.stats["error"], len(ua.calls)

    statuses, rc, log, errors, left = run(scenario_run())  # type: ignore[misc]
    print(f"flood of {flood} INVITEs: {statuses}")
    assert sum(statuses.values()) == flood  # every INVITE got a final answer
    assert statuses.get(200, 0) == 8 and statuses.get(503, 0) == flood - 8, statuses
    assert rc == 0, log
    normal = acceptor.handlers[-1]
    assert best_correlation(sent, bytes(normal.audio))[0] > 0.95
    assert normal.keys == ["1"]
    assert errors == 0
    assert left == 0
