"""Registering the bot as an extension (RFC 3261 10), for sites that give it a user on
their PBX or on Kamailio instead of an IP trunk: REGISTER, answer the digest challenge,
refresh before the binding expires, retry after a failure, unregister at shutdown."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING

from bot.errors import ConfigError
from bot.telephony.sip.dialog import new_branch, new_tag
from bot.telephony.sip.headers import HeaderError, NameAddr, SipUri
from bot.telephony.sip.message import SipMessage

if TYPE_CHECKING:
    from bot.telephony.sip.ua import UserAgent

log = logging.getLogger(__name__)

RETRY_S = 30.0


def registrar_uri(raw: str) -> SipUri:
    text = raw.strip()
    if not text.lower().startswith(("sip:", "sips:")):
        text = "sip:" + text
    try:
        uri = SipUri.parse(text)
    except HeaderError as err:
        raise ConfigError(
            f"BOT_SIP_REGISTRAR={raw!r} is not a SIP address like sip:pbx.example:5060 ({err})"
        ) from err
    if uri.scheme == "tel" or not uri.host:
        raise ConfigError(
            f"BOT_SIP_REGISTRAR={raw!r} is not a SIP address like sip:pbx.example:5060"
        )
    return uri


class Registration:
    def __init__(self, ua: UserAgent, registrar: str, expires: int) -> None:
        self.ua = ua
        self.registrar = registrar_uri(registrar)
        self.expires = expires
        self.aor = f"sip:{ua.options.user}@{self.registrar.host}"
        self._call_id = secrets.token_hex(12)
        self._tag = new_tag()
        self._cseq = 0
        self.registered = asyncio.Event()

    def _build(
        self, expires: int, extra: list[tuple[str, str]]
    ) -> tuple[SipMessage, tuple[str, int]]:
        self._cseq += 1
        host, port = self.ua.via
        msg = SipMessage(
            method="REGISTER",
            uri=str(SipUri("sip", None, self.registrar.host, self.registrar.port)),
        )
        msg.add("Via", f"SIP/2.0/UDP {host}:{port};branch={new_branch()};rport")
        msg.add("Max-Forwards", "70")
        msg.add("From", str(NameAddr(self.aor).with_tag(self._tag)))
        msg.add("To", f"<{self.aor}>")
        msg.add("Call-ID", self._call_id)
        msg.add("CSeq", f"{self._cseq} REGISTER")
        msg.add("Contact", f"<{self.ua.contact}>;expires={expires}")
        msg.add("Expires", str(expires))
        msg.add("User-Agent", "12345-bot")
        for name, value in extra:
            msg.add(name, value)
        return msg, self.registrar.address

    async def register(self, expires: int | None = None) -> int:
        """One REGISTER (with the challenge answered); the granted expiry, 0 on failure."""
        wanted = self.expires if expires is None else expires
        response = await self.ua.send_request(lambda extra: self._build(wanted, extra))
        if response is None or not 200 <= response.status < 300:
            status = f"{response.status} {response.reason}" if response else "no answer"
            log.warning("sip: REGISTER %s at %s failed: %s", self.aor, self.registrar, status)
            return 0
        granted = wanted
        for value in response.values("Contact"):
            try:
                contact = NameAddr.parse(value)
            except HeaderError:
                continue
            exp = contact.params.get("expires")
            if self.ua.contact in contact.uri and exp and exp.isdigit():
                granted = int(exp)
        if (response.get("Expires") or "").strip().isdigit() and granted == wanted:
            granted = int(response.get("Expires") or wanted)
        return granted

    async def run(self) -> None:
        """Keep the binding alive until cancelled; then remove it."""
        try:
            while True:
                granted = await self.register()
                if granted:
                    if not self.registered.is_set():
                        log.info(
                            "sip: registered %s at %s for %d s", self.aor, self.registrar, granted
                        )
                    self.registered.set()
                    await asyncio.sleep(max(5.0, granted * 0.8))
                else:
                    self.registered.clear()
                    await asyncio.sleep(RETRY_S)
        except asyncio.CancelledError:
            if self.registered.is_set():
                try:
                    await asyncio.wait_for(self.register(expires=0), 3.0)
                except (TimeoutError, OSError):
                    pass
            raise
