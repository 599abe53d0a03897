"""The user agent over a real loopback socket, driven by hand-written SIP: the requests
around a call (OPTIONS, INFO keys, re-INVITE, NOTIFY, out-of-dialog requests), a delayed
offer, a missing ACK, retransmitted INVITEs. No external process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.telephony.sip.auth import Challenge, digest_response
from bot.telephony.sip.message import SipMessage, make_response
from bot.telephony.sip.transaction import Timers
from bot.telephony.sip.ua import UserAgent
from tests.integration.telephony.sip_harness import (
    RawSip,
    RecordingAcceptor,
    bot,
    in_dialog_text,
    invite_text,
    run,
)

Scenario = Callable[[UserAgent, RawSip, tuple[str, int], RecordingAcceptor], Awaitable[object]]


def drive(scenario: Scenario, **options: object) -> object:
    acceptor = RecordingAcceptor()

    async def go() -> object:
        async with bot(acceptor, **options) as ua:
            raw = await RawSip.open()
            try:
                return await scenario(ua, raw, ("127.0.0.1", ua.port), acceptor)
            finally:
                raw.close()

    return run(go(), timeout=20)


def request_text(
    method: str,
    raw: RawSip,
    ua: UserAgent,
    call_id: str,
    cseq: int = 1,
    to_tag: str = "",
    body: str = "",
    extra: str = "",
    from_tag: str = "c1",
) -> str:
    tag = f";tag={to_tag}" if to_tag else ""
    return (
        f"{method} sip:bot@127.0.0.1:{ua.port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{raw.port};branch=z9hG4bK{method}{cseq}{call_id};rport\r\n"
        f"From: <sip:caller@127.0.0.1>;tag={from_tag}\r\nTo: <sip:bot@127.0.0.1>{tag}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
        f"Contact: <sip:caller@127.0.0.1:{raw.port}>\r\n"
        f"{extra}Content-Length: {len(body)}\r\n\r\n{body}"
    )


async def answered(
    ua: UserAgent, raw: RawSip, to: tuple[str, int], call_id: str, body: str | None = None
) -> SipMessage:
    raw.send(invite_text(raw.port, ua.port, call_id, f"z9hG4bK{call_id}", body=body), to)
    ok = await raw.final(call_id)
    assert ok is not None and ok.status == 200
    raw.send(in_dialog_text("ACK", raw.port, ua.port, ok, f"z9hG4bKack{call_id}", 1), to)
    return ok


async def hang_up(ua: UserAgent, raw: RawSip, to: tuple[str, int], ok: SipMessage) -> None:
    """The caller ends the call (so closing the bot sends no BYE nobody answers)."""
    raw.send(in_dialog_text("BYE", raw.port, ua.port, ok, f"z9hG4bKbye{ok.call_id}", 9), to)
    reply = await raw.final(ok.call_id)
    assert reply is not None and reply.status == 200


def test_options_are_answered_with_what_the_bot_accepts() -> None:
    async def scenario(
        ua: UserAgent, raw: RawSip, to: tuple[str, int], _: object
    ) -> SipMessage | None:
        raw.send(request_text("OPTIONS", raw, ua, "o1"), to)
        return await raw.final("o1")

    reply = drive(scenario)
    assert isinstance(reply, SipMessage) and reply.status == 200
    assert "REFER" in (reply.get("Allow") or "") and "application/sdp" in (
        reply.get("Accept") or ""
    )
    assert reply.vias[0].params["received"] == "127.0.0.1" and reply.vias[0].params["rport"]


def test_requests_outside_any_call() -> None:
    async def scenario(ua: UserAgent, raw: RawSip, to: tuple[str, int], _: object) -> list[int]:
        statuses = []
        for n, (method, tag) in enumerate(
            [
                ("BYE", ""),
                ("NOTIFY", ""),
                ("BYE", "nosuch"),
                ("REGISTER", ""),
                ("CANCEL", ""),
                ("MESSAGE", ""),
            ]
        ):
            raw.send(request_text(method, raw, ua, f"x{n}", to_tag=tag), to)
            reply = await raw.final(f"x{n}")
            statuses.append(reply.status if reply else 0)
        return statuses

    assert drive(scenario) == [481, 481, 481, 405, 481, 405]


def test_a_call_with_info_keys_a_reinvite_and_a_bye() -> None:
    async def scenario(
        ua: UserAgent, raw: RawSip, to: tuple[str, int], acceptor: RecordingAcceptor
    ) -> tuple[object, ...]:
        ok = await answered(ua, raw, to, "call1")
        tag, mine = ok.address("To").tag or "", ok.address("From").tag or ""

        def request(
            method: str,
            raw: RawSip,
            ua: UserAgent,
            call_id: str,
            cseq: int,
            to_tag: str,
            body: str = "",
            extra: str = "",
        ) -> str:
            return request_text(method, raw, ua, call_id, cseq, to_tag, body, extra, mine)

        await asyncio.wait_for(acceptor.accepted.wait(), 5)
        info = "Signal=5\r\nDuration=160\r\n"
        raw.send(
            request(
                "INFO", raw, ua, "call1", 2, tag, info, "Content-Type: application/dtmf-relay\r\n"
            ),
            to,
        )
        info_reply = await raw.final("call1")
        raw.send(request("NOTIFY", raw, ua, "call1", 3, tag, "", "Event: refer\r\n"), to)
        notify_reply = await raw.final("call1")
        hold = (
            "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio 4002 RTP/AVP 8\r\na=sendonly\r\n"
        )
        raw.send(
            request("INVITE", raw, ua, "call1", 4, tag, hold, "Content-Type: application/sdp\r\n"),
            to,
        )
        reinvite = await raw.final("call1")
        assert reinvite is not None
        raw.send(request("INFO", raw, ua, "call1", 3, tag), to)  # an old CSeq
        stale = await raw.final("call1")
        raw.send(in_dialog_text("ACK", raw.port, ua.port, reinvite, "z9hG4bKack4", 4), to)
        raw.send(request("BYE", raw, ua, "call1", 5, tag), to)
        bye = await raw.final("call1")
        handler = acceptor.handlers[0]
        await asyncio.wait_for(handler.ended.wait(), 5)
        return (
            info_reply.status if info_reply else 0,
            notify_reply.status if notify_reply else 0,
            reinvite,
            stale.status if stale else 0,
            bye.status if bye else 0,
            handler.keys,
            handler.hangups,
            ok,
        )

    info, notify, reinvite, stale, bye, keys, hangups, ok = drive(scenario)  # type: ignore[misc]
    assert (info, notify, stale, bye) == (200, 481, 500, 200)
    assert keys == ["5"] and hangups == ["caller_bye"]
    assert b"a=recvonly" in reinvite.body and b"o=- " in reinvite.body
    first_o = [line for line in ok.body.split(b"\r\n") if line.startswith(b"o=")][0]
    second_o = [line for line in reinvite.body.split(b"\r\n") if line.startswith(b"o=")][0]
    assert (
        first_o.split()[1] == second_o.split()[1]
        and first_o.split()[2] == b"1"
        and second_o.split()[2] == b"2"
    )


def test_a_retransmitted_invite_gets_the_same_answer_and_one_call() -> None:
    async def scenario(
        ua: UserAgent, raw: RawSip, to: tuple[str, int], acceptor: RecordingAcceptor
    ) -> tuple[int, int, str, str]:
        text = invite_text(raw.port, ua.port, "dup", "z9hG4bKdup")
        raw.send(text, to)
        first = await raw.final("dup")
        raw.send(text, to)
        second = await raw.final("dup")
        assert first is not None and second is not None
        calls = len(ua.calls)
        raw.send(in_dialog_text("ACK", raw.port, ua.port, first, "z9hG4bKdupack", 1), to)
        await hang_up(ua, raw, to, first)
        return calls, second.status, first.get("To") or "", second.get("To") or ""

    calls, status, to1, to2 = drive(scenario)  # type: ignore[misc]
    assert (calls, status) == (1, 200) and to1 == to2


def test_a_delayed_offer_is_answered_in_the_ack() -> None:
    answer = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 4004 RTP/AVP 0\r\n"
    )

    async def scenario(
        ua: UserAgent, raw: RawSip, to: tuple[str, int], acceptor: RecordingAcceptor
    ) -> tuple[bytes, str]:
        text = invite_text(raw.port, ua.port, "late", "z9hG4bKlate", body="").replace(
            "Content-Type: application/sdp\r\n", ""
        )
        raw.send(text, to)
        ok = await raw.final("late")
        assert ok is not None and ok.status == 200
        ack = in_dialog_text("ACK", raw.port, ua.port, ok, "z9hG4bKlateack", 1).replace(
            "Content-Length: 0\r\n\r\n",
            f"Content-Type: application/sdp\r\nContent-Length: {len(answer)}\r\n\r\n{answer}",
        )
        raw.send(ack, to)
        await asyncio.wait_for(acceptor.accepted.wait(), 5)
        call = next(iter(ua.calls.values()))
        assert call.rtp is not None
        codec = call.rtp.codec.name
        await hang_up(ua, raw, to, ok)
        return ok.body, codec

    offer, codec = drive(scenario)  # type: ignore[misc]
    assert b"m=audio" in offer and b"a=rtpmap:8 PCMA/8000" in offer
    assert codec == "PCMU"  # what the caller chose in its answer


def test_no_ack_means_the_200_is_resent_then_the_call_is_dropped_with_a_bye() -> None:
    async def scenario(
        ua: UserAgent, raw: RawSip, to: tuple[str, int], acceptor: RecordingAcceptor
    ) -> tuple[int, str, int]:
        raw.send(invite_text(raw.port, ua.port, "noack", "z9hG4bKnoack"), to)
        oks = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while loop.time() < deadline:
            msg = await raw.recv(deadline - loop.time())
            if msg is None:
                break
            if msg.status == 200:
                oks += 1
            if msg.method == "BYE":
                return oks, msg.method, len(acceptor.handlers)
        return oks, "", len(acceptor.handlers)

    oks, method, accepted = drive(scenario, timers=Timers(t1=0.02, t2=0.1))  # type: ignore[misc]
    assert oks >= 4 and method == "BYE" and accepted == 0


def test_a_refer_challenged_with_407_is_sent_again_with_a_valid_digest() -> None:
    async def scenario(
        ua: UserAgent, raw: RawSip, to: tuple[str, int], acceptor: RecordingAcceptor
    ) -> tuple[SipMessage, SipMessage, bool]:
        ok = await answered(ua, raw, to, "xfer")
        await asyncio.wait_for(acceptor.accepted.wait(), 5)
        job = asyncio.ensure_future(acceptor.handlers[0].control.transfer("sip:queue@10.0.0.1"))
        first = await raw.recv(3)
        assert first is not None and first.method == "REFER"
        challenge = make_response(first, 407, "Proxy Authentication Required")
        challenge.add("Proxy-Authenticate", 'Digest realm="pbx", nonce="n0nce", qop="auth"')
        raw.send(challenge.to_bytes(), to)
        second = await raw.recv(3)
        assert second is not None and second.method == "REFER"
        raw.send(make_response(second, 202, "Accepted").to_bytes(), to)
        mine = ok.address("From").tag or ""
        sipfrag = "SIP/2.0 200 OK\r\n"
        raw.send(
            request_text(
                "NOTIFY",
                raw,
                ua,
                "xfer",
                2,
                ok.address("To").tag or "",
                sipfrag,
                "Event: refer\r\nSubscription-State: terminated\r\n"
                "Content-Type: message/sipfrag\r\n",
                mine,
            ),
            to,
        )
        while (bye := await raw.recv(3)) is not None and bye.method != "BYE":
            pass
        assert bye is not None
        raw.send(make_response(bye, 200, "OK").to_bytes(), to)
        return first, second, await job

    first, second, done = drive(scenario, password="pw")  # type: ignore[misc]
    assert done
    assert second.cseq[0] == first.cseq[0] + 1
    assert second.vias[0].branch != first.vias[0].branch
    header = second.get("Proxy-Authorization") or ""
    fields = dict(part.strip().split("=", 1) for part in header[len("Digest ") :].split(","))
    cnonce = fields["cnonce"].strip('"')
    challenge = Challenge.parse('Digest realm="pbx", nonce="n0nce", qop="auth"')
    expected = digest_response(challenge, "bot", "pw", "REFER", second.uri, cnonce)
    assert fields["response"].strip('"') == expected
    assert second.get("Refer-To") == "<sip:queue@10.0.0.1>"
