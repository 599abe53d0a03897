"""Telephony settings, read once at the edge like bot/voice/config.py.

Keys (environment > `.env` > defaults):
  BOT_SIP_ENABLED            start the SIP adapter (default false)
  BOT_SIP_HOST               address the SIP UDP socket binds (default 127.0.0.1)
  BOT_SIP_PORT               SIP UDP port (default 5070)
  BOT_SIP_PUBLIC_HOST        address written into Contact/SDP (default: BOT_SIP_HOST);
                             set it behind NAT or when binding 0.0.0.0
  BOT_SIP_RTP_PORTS          RTP port range LOW-HIGH (default 40000-40999)
  BOT_SIP_REGISTRAR          optional registrar URI (sip:host[:port]) to register as an
                             extension; empty (default) = plain trunk, no REGISTER
  BOT_SIP_USER / BOT_SIP_PASSWORD   credentials for REGISTER and REFER digest retries
  BOT_SIP_CODECS             codecs offered/accepted in preference order (default PCMA,PCMU)
  BOT_SIP_RTP_TIMEOUT_S      hang up when no RTP arrives for this long (default 10)
  BOT_AUDIOSOCKET_ENABLED    start the Asterisk AudioSocket server (default false)
  BOT_AUDIOSOCKET_HOST       address it binds (default 127.0.0.1)
  BOT_AUDIOSOCKET_PORT       TCP port (default 9092)
  BOT_TELEPHONY_AGENT_URI    where hand-overs go: the agent queue (default
                             sip:queue@127.0.0.1:5060); for AudioSocket the dialplan reads it
  BOT_TELEPHONY_MAX_CALLS    calls the bot serves at once; above it a busy prompt and a
                             transfer (default 4)
  BOT_TELEPHONY_BARGE_IN     energy (default): caller speech energy stops the bot at once,
                             the prompt resumes if the VAD hears no speech after it; vad:
                             wait for the recognizer's VAD (slower, never fooled by a cough)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import PROJECT_ROOT, Settings, _parse_bool, _read_dotenv

CODECS = ("PCMA", "PCMU")
BARGE_IN = ("energy", "vad")
_URI = re.compile(r"^sips?:[^\s@]+(@[^\s]+)?$")


@dataclass(frozen=True)
class TelephonySettings:
    sip_enabled: bool = False
    sip_host: str = "127.0.0.1"
    sip_port: int = 5070
    sip_public_host: str = ""
    sip_rtp_ports: tuple[int, int] = (40000, 40999)
    sip_registrar: str = ""
    sip_user: str = ""
    sip_password: str = field(default="", repr=False)
    sip_codecs: tuple[str, ...] = CODECS
    sip_rtp_timeout_s: float = 10.0
    audiosocket_enabled: bool = False
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092
    agent_uri: str = "sip:queue@127.0.0.1:5060"
    max_calls: int = 4
    barge_in: str = "energy"

    @property
    def advertised_host(self) -> str:
        return self.sip_public_host or self.sip_host

    @property
    def any_enabled(self) -> bool:
        return self.sip_enabled or self.audiosocket_enabled

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        environ: Mapping[str, str] | None = None,
        dotenv: Path | None = PROJECT_ROOT / ".env",
    ) -> TelephonySettings:
        # settings is accepted for symmetry with VoiceSettings.load; nothing here derives
        # from it yet.
        del settings
        source: dict[str, str] = _read_dotenv(dotenv) if dotenv else {}
        source.update(os.environ if environ is None else environ)

        def text(key: str, default: str) -> str:
            raw = source.get(key)
            return default if raw is None or not raw.strip() else raw.strip()

        def flag(key: str) -> bool:
            raw = source.get(key, "")
            return _parse_bool(key, raw) if raw.strip() else False

        sip_port = _port(source, "BOT_SIP_PORT", cls.sip_port)
        as_port = _port(source, "BOT_AUDIOSOCKET_PORT", cls.audiosocket_port)
        rtp = _port_range(source, "BOT_SIP_RTP_PORTS", cls.sip_rtp_ports)
        codecs = _codecs(source)
        timeout = _number(source, "BOT_SIP_RTP_TIMEOUT_S", cls.sip_rtp_timeout_s)
        if not 1.0 <= timeout <= 3600:
            raise ConfigError(
                f"BOT_SIP_RTP_TIMEOUT_S={source.get('BOT_SIP_RTP_TIMEOUT_S')!r} must be "
                "between 1 and 3600 seconds"
            )
        max_calls = _number(source, "BOT_TELEPHONY_MAX_CALLS", cls.max_calls)
        if max_calls != int(max_calls) or not 1 <= max_calls <= 1000:
            raise ConfigError(
                f"BOT_TELEPHONY_MAX_CALLS={source.get('BOT_TELEPHONY_MAX_CALLS')!r} must be "
                "a whole number 1-1000"
            )
        agent = text("BOT_TELEPHONY_AGENT_URI", cls.agent_uri)
        if not _URI.match(agent):
            raise ConfigError(
                f"BOT_TELEPHONY_AGENT_URI={agent!r} is not a SIP URI; "
                "use e.g. sip:queue@10.0.0.5:5060"
            )
        registrar = text("BOT_SIP_REGISTRAR", "")
        if registrar and not _URI.match(registrar):
            raise ConfigError(
                f"BOT_SIP_REGISTRAR={registrar!r} is not a SIP URI; use e.g. sip:10.0.0.5:5060"
            )
        user = text("BOT_SIP_USER", "")
        if registrar and not user:
            raise ConfigError(
                f"BOT_SIP_REGISTRAR={registrar!r} needs BOT_SIP_USER (the extension to register)"
            )
        barge_in = text("BOT_TELEPHONY_BARGE_IN", cls.barge_in).lower()
        if barge_in not in BARGE_IN:
            raise ConfigError(
                f"BOT_TELEPHONY_BARGE_IN={source['BOT_TELEPHONY_BARGE_IN']!r} is not one of "
                f"{', '.join(BARGE_IN)}"
            )
        return cls(
            sip_enabled=flag("BOT_SIP_ENABLED"),
            sip_host=text("BOT_SIP_HOST", cls.sip_host),
            sip_port=sip_port,
            sip_public_host=text("BOT_SIP_PUBLIC_HOST", ""),
            sip_rtp_ports=rtp,
            sip_registrar=registrar,
            sip_user=user,
            sip_password=source.get("BOT_SIP_PASSWORD", ""),
            sip_codecs=codecs,
            sip_rtp_timeout_s=timeout,
            audiosocket_enabled=flag("BOT_AUDIOSOCKET_ENABLED"),
            audiosocket_host=text("BOT_AUDIOSOCKET_HOST", cls.audiosocket_host),
            audiosocket_port=as_port,
            agent_uri=agent,
            max_calls=int(max_calls),
            barge_in=barge_in,
        )


def _number(source: Mapping[str, str], key: str, default: float) -> float:
    raw = source.get(key)
    if raw is None or not raw.strip():
        return float(default)
    try:
        return float(raw)
    except ValueError as err:
        raise ConfigError(f"{key}={raw!r} is not a number") from err


def _port(source: Mapping[str, str], key: str, default: int) -> int:
    value = _number(source, key, default)
    if value != int(value) or not 1 <= value <= 65535:
        raise ConfigError(f"{key}={source.get(key)!r} is not a port number 1-65535")
    return int(value)


def _port_range(source: Mapping[str, str], key: str, default: tuple[int, int]) -> tuple[int, int]:
    raw = source.get(key, "").strip()
    if not raw:
        return default
    match = re.fullmatch(r"(\d+)\s*-\s*(\d+)", raw)
    if not match:
        raise ConfigError(f"{key}={raw!r} is not a port range; use LOW-HIGH, e.g. 40000-40999")
    low, high = int(match.group(1)), int(match.group(2))
    # RTP wants an even port (RTCP takes the odd one above), so a range needs at least two.
    if not 1024 <= low < high <= 65535:
        raise ConfigError(
            f"{key}={raw!r} must satisfy 1024 <= LOW < HIGH <= 65535, e.g. 40000-40999"
        )
    return (low, high)


def _codecs(source: Mapping[str, str]) -> tuple[str, ...]:
    raw = source.get("BOT_SIP_CODECS", "").strip()
    if not raw:
        return CODECS
    names = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
    unknown = [name for name in names if name not in CODECS]
    if unknown or not names:
        raise ConfigError(
            f"BOT_SIP_CODECS={raw!r} names {', '.join(unknown) or 'no codec'}; "
            f"use a comma list of {', '.join(CODECS)}"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"BOT_SIP_CODECS={raw!r} lists a codec twice")
    return names
