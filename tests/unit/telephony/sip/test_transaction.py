"""Retransmission over UDP: client requests until answered, INVITE answers until ACKed."""

from __future__ import annotations

import asyncio

from bot.telephony.sip.message import SipMessage, make_response, parse
from bot.telephony.sip.transaction import ClientTransactions, ServerTransactions, Timers

FAST = Timers(t1=0.02, t2=0.08)


def request(method: str = "BYE", branch: str = "z9hG4bKt1") -> SipMessage:
    return parse(
        (
            f"{method} sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h:5070;branch={branch}\r\n"
            f"From: <sip:b@h>;tag=1\r\nTo: <sip:a@h>;tag=2\r\nCall-ID: c\r\n"
            f"CSeq: 5 {method}\r\nContact: <sip:b@h>\r\n\r\n"
        ).encode()
    )


def test_a_client_request_is_resent_until_its_answer_comes() -> None:
    sent: list[float] = []

    async def run() -> SipMessage | None:
        loop = asyncio.get_running_loop()
        client = ClientTransactions(lambda data, addr: sent.append(loop.time()), FAST)
        bye = request()
        job = asyncio.ensure_future(client.request(bye, ("127.0.0.1", 9)))
        await asyncio.sleep(0.2)
        assert client.on_response(make_response(bye, 100, "Trying"))
        assert not client.on_response(make_response(request(branch="z9hG4bKother"), 200, "OK"))
        await asyncio.sleep(0.1)
        client.on_response(make_response(bye, 200, "OK"))
        return await job

    response = asyncio.run(run())
    assert response is not None and response.status == 200
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert 4 <= len(sent) <= 9
    assert 0.015 < gaps[0] < 0.05 and max(gaps) < 0.15  # T1 doubling, capped at T2


def test_no_answer_is_none_after_timer_f() -> None:
    async def run() -> SipMessage | None:
        client = ClientTransactions(lambda data, addr: None, Timers(t1=0.005, t2=0.01))
        return await client.request(request(), ("127.0.0.1", 9))

    assert asyncio.run(run()) is None


def test_a_final_invite_answer_is_resent_until_the_ack_and_retransmissions_get_it_again() -> None:
    sent: list[bytes] = []

    async def run() -> int:
        server = ServerTransactions(lambda data, addr: sent.append(data), FAST)
        invite = request("INVITE")
        server.respond(invite, make_response(invite, 486, "Busy Here", to_tag="x"), ("h", 1))
        await asyncio.sleep(0.2)
        before = len(sent)
        assert server.retransmission(invite)  # the INVITE again: the same answer again
        server.ack(("z9hG4bKt1", "h:5070"))
        await asyncio.sleep(0.2)
        return before

    before = asyncio.run(run())
    assert before >= 3
    assert len(sent) == before + 1  # nothing more after the ACK
    assert all(b"486 Busy Here" in data for data in sent)
