"""SIP transactions over UDP (RFC 3261 17), as much as a user agent needs.

Client (BYE, REFER, REGISTER): retransmit at T1, 2*T1, ... capped at T2 (at T2 once a
provisional response came) until a final response or timer F (64*T1). Server: every
response is remembered so a retransmitted request gets it again; a final response to an
INVITE is resent at T1, 2*T1 ... T2 until the ACK comes or timer H (64*T1) fires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.telephony.sip.message import SipMessage, SipParseError

log = logging.getLogger(__name__)

Send = Callable[[bytes, tuple[str, int]], None]


@dataclass(frozen=True)
class Timers:
    t1: float = 0.5
    t2: float = 4.0

    @property
    def timeout(self) -> float:  # timers B, F, H
        return 64 * self.t1


def transaction_key(msg: SipMessage) -> tuple[str, ...]:
    """RFC 3261 17.2.3: the top Via branch (with the magic cookie) and sent-by; for
    pre-3261 peers, the Call-ID, From tag and CSeq number."""
    via = msg.vias[0]
    if via.branch and via.branch.startswith("z9hG4bK"):
        return (via.branch, f"{via.host}:{via.port or 5060}")
    tag = msg.address("From").tag or ""
    return (msg.call_id, tag, str(msg.cseq[0]))


class ClientTransactions:
    def __init__(self, send: Send, timers: Timers) -> None:
        self._send, self.timers = send, timers
        self._pending: dict[tuple[str, str], tuple[asyncio.Future[SipMessage], list[bool]]] = {}

    async def request(self, msg: SipMessage, addr: tuple[str, int]) -> SipMessage | None:
        """Send a non-INVITE request; the final response, or None after timer F."""
        loop = asyncio.get_running_loop()
        key = (msg.vias[0].branch or "", msg.method)
        future: asyncio.Future[SipMessage] = loop.create_future()
        provisional = [False]
        self._pending[key] = (future, provisional)
        data = msg.to_bytes()
        deadline = loop.time() + self.timers.timeout
        interval = self.timers.t1
        try:
            self._send(data, addr)
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    log.warning("sip: %s to %s:%d timed out (no final response)", msg.method, *addr)
                    return None
                try:
                    return await asyncio.wait_for(asyncio.shield(future), min(interval, remaining))
                except TimeoutError:
                    pass
                self._send(data, addr)
                interval = self.timers.t2 if provisional[0] else min(2 * interval, self.timers.t2)
        finally:
            self._pending.pop(key, None)

    def on_response(self, msg: SipMessage) -> bool:
        """Hand a response to its transaction; False when none is waiting for it."""
        try:
            key = (msg.vias[0].branch or "", msg.cseq[1])
        except (SipParseError, IndexError):
            return False
        entry = self._pending.get(key)
        if entry is None:
            return False
        future, provisional = entry
        if msg.status < 200:
            provisional[0] = True
        elif not future.done():
            future.set_result(msg)
        return True


@dataclass
class _Served:
    response: bytes
    addr: tuple[str, int]
    expires: float
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    resend: asyncio.Task[None] | None = None


class ServerTransactions:
    def __init__(self, send: Send, timers: Timers) -> None:
        self._send, self.timers = send, timers
        self._served: dict[tuple[tuple[str, ...], str], _Served] = {}

    def respond(self, request: SipMessage, response: SipMessage, addr: tuple[str, int]) -> None:
        """Send a response and remember it. A final response to an INVITE is retransmitted
        until `acked` (or timer H); `on_timeout` then tells the caller the ACK never came."""
        loop = asyncio.get_running_loop()
        self._expire(loop.time())
        data = response.to_bytes()
        key = (transaction_key(request), request.method)
        old = self._served.get(key)
        if old is not None and old.resend is not None:
            old.resend.cancel()
        served = _Served(data, addr, loop.time() + self.timers.timeout)
        self._served[key] = served
        self._send(data, addr)
        if request.method == "INVITE" and response.status >= 200:
            served.resend = loop.create_task(self._resend(served))

    async def _resend(self, served: _Served) -> None:
        interval = self.timers.t1
        loop = asyncio.get_running_loop()
        while loop.time() < served.expires:
            try:
                await asyncio.wait_for(served.acked.wait(), interval)
                return
            except TimeoutError:
                self._send(served.response, served.addr)
                interval = min(2 * interval, self.timers.t2)

    def retransmission(self, request: SipMessage) -> bool:
        """A request we answered already: answer again with the same response."""
        served = self._served.get((transaction_key(request), request.method))
        if served is None:
            return False
        self._send(served.response, served.addr)
        return True

    def ack(self, invite_key: tuple[str, ...]) -> None:
        served = self._served.get((invite_key, "INVITE"))
        if served is not None:
            served.acked.set()

    def has(self, key: tuple[str, ...], method: str) -> bool:
        return (key, method) in self._served

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._served.items() if s.expires < now]:
            served = self._served.pop(key)
            if served.resend is not None:
                served.resend.cancel()

    def close(self) -> None:
        for served in self._served.values():
            if served.resend is not None:
                served.resend.cancel()
        self._served.clear()
