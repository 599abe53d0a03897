"""The bot's SIP user agent: a user agent server that a trunk or Kamailio sends calls to
(no REGISTER needed), dispatching every request of its socket.

Every datagram is parsed tolerantly; one that cannot be used gets a 400 with the reason,
and nothing a peer sends can raise out of here. Two guards stand in front of the
acceptor's own busy limit: INVITEs being answered at once (503 past max_pending) and
calls up at once (486 past max_calls).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import TYPE_CHECKING

from bot.telephony.call import CallAcceptor
from bot.telephony.sip import sdp
from bot.telephony.sip.dialog import Dialog, new_tag
from bot.telephony.sip.dtmf import KEYS
from bot.telephony.sip.endpoint import ALLOW, SERVER, Endpoint
from bot.telephony.sip.headers import HeaderError, SipUri
from bot.telephony.sip.message import SipMessage, SipParseError, parse
from bot.telephony.sip.options import SipOptions
from bot.telephony.sip.rtp import PortPool
from bot.telephony.sip.sipcall import SipCall
from bot.telephony.sip.transaction import transaction_key

if TYPE_CHECKING:
    from bot.telephony.sip.register import Registration

log = logging.getLogger(__name__)

SUPPORTED: set[str] = set()  # no extensions: a Require of any gets 420 Bad Extension
_NEEDS_DIALOG = ("BYE", "NOTIFY", "INFO", "UPDATE", "PRACK", "REFER")


class UserAgent(Endpoint):
    def __init__(self, options: SipOptions, acceptor: CallAcceptor) -> None:
        super().__init__(options)
        self.acceptor = acceptor
        self.ports = PortPool(*options.rtp_ports)
        self.calls: dict[tuple[str, str], SipCall] = {}  # (Call-ID, our tag)
        self._ringing: dict[tuple[str, ...], SipCall] = {}  # INVITE transaction -> call
        self.registration: Registration | None = None
        self.stats: Counter[str] = Counter()

    async def close(self) -> None:
        await asyncio.gather(*(call.hangup() for call in list(self.calls.values())))
        self.close_socket()

    # --- receiving -------------------------------------------------------------------
    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():  # CRLF keep-alive (RFC 5626)
            return
        try:
            msg = parse(data)
            if msg.is_request:
                self.stats[msg.method] += 1
                self._on_request(msg, addr)
            elif not self.client.on_response(msg):
                self.stats["stray_response"] += 1
        except SipParseError as err:
            self.stats["bad"] += 1
            log.info("sip: bad message from %s:%d: %s", *addr, err.reason)
            partial = err.partial
            # a request with a Via can be answered; anything else (an ACK, a response,
            # bytes that are not SIP) cannot (RFC 3261 18.2.1)
            if (
                partial is not None
                and partial.is_request
                and partial.method != "ACK"
                and partial.get("Via")
            ):
                self.reply_once(partial, addr, err.status, err.reason)
        except Exception:  # a bug here must not take the socket down for every other call
            self.stats["error"] += 1
            log.exception("sip: failed to handle a message from %s:%d", *addr)

    def _on_request(self, req: SipMessage, addr: tuple[str, int]) -> None:
        if req.method != "ACK" and self.server.retransmission(req):
            return
        try:
            scheme = SipUri.parse(req.uri).scheme
        except HeaderError:
            scheme = ""
        if scheme not in ("sip", "sips", "tel") and req.method != "ACK":  # never answer an ACK
            self.reply(req, addr, 416, "Unsupported URI Scheme")
            return
        to_tag = req.address("To").tag
        call = self.calls.get((req.call_id, to_tag)) if to_tag else None
        if call is not None and not call.dialog.matches(req):
            call = None
        method = req.method
        if method == "ACK":
            key = transaction_key(req)
            if self.server.has(key, "INVITE"):  # the ACK of a non-2xx final (same branch)
                self.server.ack(key)
            if call is not None:
                call.on_ack(req)
        elif method == "INVITE" and not to_tag:
            self._on_invite(req, addr)
        elif method == "CANCEL":
            ringing = self._ringing.get(transaction_key(req))
            if ringing is None:
                self.reply(req, addr, 481, "Call/Transaction Does Not Exist")
            else:
                self.reply(req, addr, 200, "OK", to_tag=ringing.dialog.local_tag)
                ringing.cancel()
        elif method == "OPTIONS":
            self.reply(
                req,
                addr,
                200,
                "OK",
                to_tag=None if to_tag else new_tag(),
                headers=self.capability_headers(),
            )
        elif call is None and (to_tag or method in _NEEDS_DIALOG):
            self.reply(req, addr, 481, "Call/Transaction Does Not Exist")
        elif call is None:
            self.reply(
                req, addr, 405, "Method Not Allowed", to_tag=new_tag(), headers=[("Allow", ALLOW)]
            )
        elif not call.dialog.accept_remote_cseq(*req.cseq):
            self.reply(req, addr, 500, "CSeq Out Of Order")
        else:
            self._in_dialog(req, addr, call)

    def _in_dialog(self, req: SipMessage, addr: tuple[str, int], call: SipCall) -> None:
        if req.method == "BYE":
            self.reply(req, addr, 200, "OK")
            call.on_bye()
        elif req.method == "NOTIFY":
            status = call.on_notify(req)
            reasons = {200: "OK", 481: "Subscription Does Not Exist", 489: "Bad Event"}
            self.reply(req, addr, status, reasons[status])
        elif req.method == "INFO":
            key = _info_key(req)
            if key is not None:
                call.key_in(key)
            self.reply(req, addr, 200, "OK")
        elif req.method in ("INVITE", "UPDATE"):
            self._reinvite(req, addr, call)
        else:
            self.reply(req, addr, 405, "Method Not Allowed", headers=[("Allow", ALLOW)])

    def _reinvite(self, req: SipMessage, addr: tuple[str, int], call: SipCall) -> None:
        if not req.body:  # a session refresh: nothing changes
            self.reply(req, addr, 200, "OK", headers=self.capability_headers())
            return
        try:
            offer = sdp.parse(req.body)
            chosen, index = sdp.negotiate(offer, self.options.codecs)
        except sdp.SdpError as err:
            self.reply(req, addr, 488, "Not Acceptable Here", headers=[("Warning", _warning(err))])
            return
        body = call.reinvite(offer, chosen, index, transaction_key(req))
        if body is None:
            self.reply(req, addr, 491, "Request Pending")
            return
        self.reply(
            req,
            addr,
            200,
            "OK",
            headers=[("Contact", f"<{call.dialog.contact}>")],
            body=body,
            content_type="application/sdp",
        )

    # --- a new call ------------------------------------------------------------------
    def _on_invite(self, req: SipMessage, addr: tuple[str, int]) -> None:
        required = [r for r in req.values("Require") if r.lower() not in SUPPORTED]
        if required:
            self.reply(
                req,
                addr,
                420,
                "Bad Extension",
                to_tag=new_tag(),
                headers=[("Unsupported", ", ".join(required))],
            )
            return
        if len(self._ringing) >= self.options.max_pending:
            self.stats["rejected_pending"] += 1
            self.reply(
                req,
                addr,
                503,
                "Service Unavailable",
                to_tag=new_tag(),
                headers=[("Retry-After", "5")],
            )
            return
        if len(self.calls) >= self.options.max_calls:
            self.stats["rejected_busy"] += 1
            self.reply(req, addr, 486, "Busy Here", to_tag=new_tag())
            return
        offer: sdp.Session | None = None
        media = None
        if req.body:
            ctype = (req.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/sdp":
                self.reply(
                    req,
                    addr,
                    415,
                    "Unsupported Media Type",
                    to_tag=new_tag(),
                    headers=[("Accept", "application/sdp")],
                )
                return
            try:
                offer = sdp.parse(req.body)
                media = sdp.negotiate(offer, self.options.codecs)
            except sdp.SdpError as err:
                self.reply(
                    req,
                    addr,
                    488,
                    "Not Acceptable Here",
                    to_tag=new_tag(),
                    headers=[("Warning", _warning(err))],
                )
                return
        dialog = Dialog.from_invite(req, new_tag(), self.contact)
        self.reply(req, addr, 100, "Trying")
        call = SipCall(self, req, addr, dialog, transaction_key(req), offer, media)
        self.calls[(dialog.call_id, dialog.local_tag)] = call
        self._ringing[call.invite_key] = call
        log.info("sip: call %s from %s", call.call_id, call.caller)
        asyncio.get_running_loop().create_task(self._answer(call))

    async def _answer(self, call: SipCall) -> None:
        try:
            await call.answer()
        except Exception:
            log.exception("sip: call %s: answering failed", call.call_id)
            await call.end("error", send_bye=True)
        finally:
            self._ringing.pop(call.invite_key, None)

    def forget(self, call: SipCall) -> None:
        self.calls.pop((call.call_id, call.dialog.local_tag), None)
        self._ringing.pop(call.invite_key, None)


def _warning(err: Exception) -> str:
    text = str(err).replace('"', "'")[:200]
    return f'305 {SERVER} "{text}"'  # 305: incompatible media format (RFC 3261 20.43)


def _info_key(req: SipMessage) -> str | None:
    """SIP INFO keys, as some trunks send them instead of RFC 4733."""
    ctype = (req.get("Content-Type") or "").lower()
    text = req.body.decode("utf-8", "replace").strip()
    value = ""
    if "dtmf-relay" in ctype:
        for line in text.splitlines():
            name, _, found = line.partition("=")
            if name.strip().lower() == "signal":
                value = found.strip()
    elif "application/dtmf" in ctype:
        value = text
    key = value[:1].upper()
    return key if key and key in KEYS else None
