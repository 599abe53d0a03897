"""The bot's SIP socket and how it sends: responses back where the request came from,
requests (in a dialog or not) through client transactions, with one digest retry."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

from bot.telephony.sip.auth import AuthError, Challenge, authorization
from bot.telephony.sip.dialog import Dialog
from bot.telephony.sip.message import SipMessage, SipParseError, make_response
from bot.telephony.sip.options import SipOptions
from bot.telephony.sip.transaction import ClientTransactions, ServerTransactions

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER, INFO, UPDATE"
ACCEPT = "application/sdp, application/dtmf-relay, message/sipfrag"
SERVER = "12345-bot"

Build = Callable[[list[tuple[str, str]]], tuple[SipMessage, tuple[str, int]]]


class Endpoint(asyncio.DatagramProtocol):
    def __init__(self, options: SipOptions) -> None:
        self.options = options
        self._transport: asyncio.DatagramTransport | None = None
        self.server = ServerTransactions(self._sendto, options.timers)
        self.client = ClientTransactions(self._sendto, options.timers)
        self.port = options.port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        local = (self.options.host, self.options.port)
        await loop.create_datagram_endpoint(lambda: self, local_addr=local)
        assert self._transport is not None
        self.port = int(self._transport.get_extra_info("sockname")[1])
        log.info("sip: listening on udp:%s:%d", self.options.host, self.port)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def close_socket(self) -> None:
        self.server.close()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def via(self) -> tuple[str, int]:
        return self.options.advertised_host, self.port

    @property
    def contact(self) -> str:
        return f"sip:{self.options.user}@{self.options.advertised_host}:{self.port}"

    def _sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._transport is not None:
            self._transport.sendto(data, addr)

    # --- responses -------------------------------------------------------------------
    @staticmethod
    def capability_headers() -> list[tuple[str, str]]:
        return [("Allow", ALLOW), ("Accept", ACCEPT)]

    def reply(
        self,
        req: SipMessage,
        addr: tuple[str, int],
        status: int,
        reason: str,
        *,
        to_tag: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> None:
        """Answer `req` through its server transaction (remembered for retransmissions)."""
        response = make_response(req, status, reason, to_tag=to_tag, source=addr)
        response.add("Server", SERVER)
        for name, value in headers or []:
            response.add(name, value)
        if content_type:
            response.add("Content-Type", content_type)
        response.body = body
        self.server.respond(req, response, self.reply_addr(req, addr))

    def reply_once(self, req: SipMessage, addr: tuple[str, int], status: int, reason: str) -> None:
        """Answer a request too broken for a transaction (a 400 to a malformed message)."""
        response = make_response(req, status, reason, source=addr)
        response.add("Server", SERVER)
        self._sendto(response.to_bytes(), self.reply_addr(req, addr))

    @staticmethod
    def reply_addr(req: SipMessage, addr: tuple[str, int]) -> tuple[str, int]:
        """RFC 3261 18.2.2 with RFC 3581: the source IP; its port when the Via has rport
        (or no port), else the port the Via names."""
        try:
            via = req.vias[0]
        except (SipParseError, IndexError):
            return addr
        if "rport" in via.params or via.port is None:
            return addr
        return addr[0], via.port

    # --- requests --------------------------------------------------------------------
    async def send_in_dialog(
        self, dialog: Dialog, method: str, headers: list[tuple[str, str]] | None = None
    ) -> SipMessage | None:
        return await self.send_request(
            lambda extra: dialog.request(method, self.via, (headers or []) + extra)
        )

    async def send_request(self, build: Build) -> SipMessage | None:
        """Send a request built by `build(extra_headers)`; answer one digest challenge
        (401/407) with our credentials by building it again with the Authorization.
        The final response, or None (no answer, or the next hop cannot be resolved)."""
        msg, hop = build([])
        response = await self._request(msg, hop)
        if response is None or response.status not in (401, 407) or not self.options.password:
            return response
        header = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
        try:
            challenge = Challenge.parse(response.get(header) or "")
        except AuthError as err:
            log.error("sip: cannot answer the %d to %s: %s", response.status, msg.method, err)
            return response
        user = self.options.auth_user or self.options.user
        credentials = authorization(challenge, user, self.options.password, msg.method, msg.uri)
        answer = "Authorization" if response.status == 401 else "Proxy-Authorization"
        msg, hop = build([(answer, credentials)])
        return await self._request(msg, hop)

    async def _request(self, msg: SipMessage, hop: tuple[str, int]) -> SipMessage | None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(*hop, family=socket.AF_INET, type=socket.SOCK_DGRAM)
        except OSError as err:
            log.error("sip: %s: cannot resolve the next hop %s:%d: %s", msg.method, *hop, err)
            return None
        return await self.client.request(msg, (str(infos[0][4][0]), int(infos[0][4][1])))
