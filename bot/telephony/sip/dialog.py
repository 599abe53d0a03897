"""The UAS side of a SIP dialog (RFC 3261 12): the tags, one local CSeq counter, the route
set from the INVITE's Record-Route, the remote target from its Contact. Every request the
bot sends inside a call (BYE, REFER) is built here, so it follows the proxy's route
(a BYE that skips Kamailio's Record-Route is what made pyVoIP's calls hang)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.telephony.sip.headers import HeaderError, NameAddr, SipUri
from bot.telephony.sip.message import SipMessage, SipParseError


def new_tag() -> str:
    return secrets.token_hex(6)


def new_branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)  # the RFC 3261 magic cookie first


@dataclass
class Dialog:
    call_id: str
    local: NameAddr  # the INVITE's To, with our tag
    remote: NameAddr  # the INVITE's From, with the caller's tag
    remote_target: str  # the caller's Contact URI
    route_set: list[str]  # Record-Route entries, in the order received (a UAS keeps it)
    contact: str  # our Contact URI
    local_cseq: int
    remote_cseq: int

    @classmethod
    def from_invite(cls, invite: SipMessage, local_tag: str, contact: str) -> Dialog:
        remote = invite.address("From")
        if not remote.tag:
            raise SipParseError("From header without a tag", partial=invite)
        contacts = invite.values("Contact")
        if not contacts:
            raise SipParseError("INVITE without a Contact header", partial=invite)
        try:
            target = NameAddr.parse(contacts[0]).uri
            SipUri.parse(target)
        except HeaderError as err:
            raise SipParseError(f"Bad Contact: {err}", partial=invite) from err
        return cls(
            call_id=invite.call_id,
            local=invite.address("To").with_tag(local_tag),
            remote=remote,
            remote_target=target,
            route_set=invite.values("Record-Route"),
            contact=contact,
            local_cseq=secrets.randbelow(2**16) + 1,
            remote_cseq=invite.cseq[0],
        )

    @property
    def local_tag(self) -> str:
        return self.local.tag or ""

    @property
    def remote_tag(self) -> str:
        return self.remote.tag or ""

    def matches(self, msg: SipMessage) -> bool:
        """Is this in-dialog request ours? (From is theirs, To is ours.)"""
        try:
            return (
                msg.call_id == self.call_id
                and msg.address("From").tag == self.remote_tag
                and msg.address("To").tag == self.local_tag
            )
        except SipParseError:
            return False

    def accept_remote_cseq(self, cseq: int, method: str) -> bool:
        """RFC 3261 12.2.2: a lower CSeq than the last one is out of order (answer 500).
        ACK and CANCEL reuse their INVITE's number."""
        if method in ("ACK", "CANCEL"):
            return True
        if cseq < self.remote_cseq:
            return False
        self.remote_cseq = cseq
        return True

    def request(
        self,
        method: str,
        via: tuple[str, int],
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        cseq: int | None = None,
    ) -> tuple[SipMessage, tuple[str, int]]:
        """A new in-dialog request and the address of its next hop (RFC 3261 12.2.1.1)."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        routes = list(self.route_set)
        uri = self.remote_target
        if routes and "lr" not in SipUri.parse(NameAddr.parse(routes[0]).uri).params:
            # a strict router (RFC 2543): it goes in the Request-URI, the target last
            uri = str(SipUri.parse(NameAddr.parse(routes.pop(0)).uri)).split("?")[0]
            routes.append(f"<{self.remote_target}>")
        msg = SipMessage(method=method, uri=uri)
        msg.add("Via", f"SIP/2.0/UDP {via[0]}:{via[1]};branch={new_branch()};rport")
        msg.add("Max-Forwards", "70")
        msg.add("From", str(self.local))
        msg.add("To", str(self.remote))
        msg.add("Call-ID", self.call_id)
        msg.add("CSeq", f"{cseq} {method}")
        for route in routes:
            msg.add("Route", route)
        msg.add("Contact", f"<{self.contact}>")
        for name, value in headers or []:
            msg.add(name, value)
        msg.body = body
        first_hop = NameAddr.parse(routes[0]).uri if routes and uri == self.remote_target else uri
        return msg, SipUri.parse(first_hop).address
