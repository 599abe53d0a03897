"""The SIP adapter's settings, a plain frozen dataclass so tests build one directly.
`from_telephony` reads them from bot/telephony/config.py's TelephonySettings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.errors import ConfigError
from bot.telephony.sip.codec import CODECS
from bot.telephony.sip.transaction import Timers


@dataclass(frozen=True)
class SipOptions:
    host: str = "127.0.0.1"  # where the UA listens (UDP)
    port: int = 5070  # 0: any free port (tests)
    public_host: str | None = None  # what goes into Via, Contact and SDP (default: host)
    rtp_ports: tuple[int, int] = (40000, 40999)
    codecs: tuple[str, ...] = ("PCMA", "PCMU")  # preference order
    rtp_timeout_s: float = 10.0  # hang up when no RTP came for this long
    user: str = "bot"  # the user part of our Contact (and the registered extension)
    registrar: str | None = None  # e.g. sip:127.0.0.1:5060; None: an IP trunk, no REGISTER
    password: str | None = field(default=None, repr=False)  # digest, REGISTER and REFER
    auth_user: str | None = None  # digest username when it is not `user`
    register_expires: int = 300
    # a short ring before answering: the caller hears ringing, a CANCEL can still arrive
    answer_delay_s: float = 0.3
    # guards in front of the acceptor's own busy limit (BOT_TELEPHONY_MAX_CALLS)
    max_pending: int = 16  # INVITEs being answered at once; more: 503
    max_calls: int = 64  # calls up at once; more: 486 Busy Here
    transfer_timeout_s: float = 30.0  # REFER: how long to wait for the NOTIFY 200
    timers: Timers = Timers()

    @property
    def advertised_host(self) -> str:
        return self.public_host or self.host

    def __post_init__(self) -> None:
        unknown = [c for c in self.codecs if c not in CODECS]
        if unknown or not self.codecs:
            raise ConfigError(
                f"BOT_SIP_CODECS={','.join(self.codecs)!r}: use PCMA and/or PCMU, e.g. PCMA,PCMU"
            )
        low, high = self.rtp_ports
        if not (1024 <= low < high <= 65535):
            raise ConfigError(
                f"BOT_SIP_RTP_PORTS={low}-{high}: use a range like 40000-40999 within 1024-65535"
            )
        if self.rtp_timeout_s <= 0:
            raise ConfigError(f"BOT_SIP_RTP_TIMEOUT_S={self.rtp_timeout_s!r} must be above 0")

    @classmethod
    def from_telephony(cls, tset: Any) -> SipOptions:
        """From TelephonySettings; attribute names follow the BOT_SIP_* keys."""
        ports = getattr(tset, "sip_rtp_ports", cls.rtp_ports)
        if isinstance(ports, str):
            low, _, high = ports.partition("-")
            try:
                ports = (int(low), int(high))
            except ValueError as err:
                raise ConfigError(f"BOT_SIP_RTP_PORTS={ports!r} is not like 40000-40999") from err
        codecs = getattr(tset, "sip_codecs", cls.codecs)
        if isinstance(codecs, str):
            codecs = tuple(c.strip().upper() for c in codecs.split(",") if c.strip())
        return cls(
            host=getattr(tset, "sip_host", cls.host),
            port=int(getattr(tset, "sip_port", cls.port)),
            public_host=getattr(tset, "sip_public_host", None) or None,
            rtp_ports=(int(ports[0]), int(ports[1])),
            codecs=tuple(codecs),
            rtp_timeout_s=float(getattr(tset, "sip_rtp_timeout_s", cls.rtp_timeout_s)),
            user=getattr(tset, "sip_user", None) or cls.user,
            registrar=getattr(tset, "sip_registrar", None) or None,
            password=getattr(tset, "sip_password", None) or None,
        )
