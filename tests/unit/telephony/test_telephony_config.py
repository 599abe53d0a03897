"""TelephonySettings: defaults, the keys as documented, and a clear error for each bad value."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.telephony.config import TelephonySettings


def load(**env: str) -> TelephonySettings:
    return TelephonySettings.load(environ=env, dotenv=None)


def test_defaults() -> None:
    s = load()
    assert (s.sip_enabled, s.sip_host, s.sip_port, s.sip_rtp_ports) == (
        False, "127.0.0.1", 5070, (40000, 40999)
    )
    assert (s.audiosocket_enabled, s.audiosocket_host, s.audiosocket_port) == (
        False, "127.0.0.1", 9092
    )
    assert (s.agent_uri, s.max_calls, s.sip_codecs) == (
        "sip:queue@127.0.0.1:5060", 4, ("PCMA", "PCMU")
    )
    assert s.advertised_host == "127.0.0.1" and not s.any_enabled


def test_keys_are_read() -> None:
    s = load(BOT_SIP_ENABLED="true", BOT_SIP_PUBLIC_HOST="203.0.113.7", BOT_SIP_CODECS="pcmu",
             BOT_AUDIOSOCKET_ENABLED="yes", BOT_AUDIOSOCKET_PORT="9100",
             BOT_TELEPHONY_MAX_CALLS="8", BOT_SIP_REGISTRAR="sip:10.0.0.5",
             BOT_SIP_USER="8001", BOT_SIP_PASSWORD="s3cret", BOT_SIP_RTP_PORTS="20000-20099")
    assert s.sip_enabled and s.audiosocket_enabled and s.audiosocket_port == 9100
    assert s.advertised_host == "203.0.113.7" and s.sip_codecs == ("PCMU",)
    assert (s.max_calls, s.sip_registrar, s.sip_user) == (8, "sip:10.0.0.5", "8001")
    assert s.sip_rtp_ports == (20000, 20099)
    assert "s3cret" not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BOT_SIP_PORT": "99999"}, "BOT_SIP_PORT='99999' is not a port"),
        ({"BOT_AUDIOSOCKET_PORT": "x"}, "BOT_AUDIOSOCKET_PORT='x' is not a number"),
        ({"BOT_SIP_ENABLED": "maybe"}, "BOT_SIP_ENABLED='maybe' is not a boolean"),
        ({"BOT_SIP_RTP_PORTS": "40000"}, "BOT_SIP_RTP_PORTS='40000' is not a port range"),
        ({"BOT_SIP_RTP_PORTS": "5000-4000"}, "LOW < HIGH"),
        ({"BOT_SIP_CODECS": "PCMA,G729"}, "names G729"),
        ({"BOT_SIP_CODECS": "PCMA,pcma"}, "lists a codec twice"),
        ({"BOT_SIP_RTP_TIMEOUT_S": "0"}, "BOT_SIP_RTP_TIMEOUT_S='0' must be between"),
        ({"BOT_TELEPHONY_MAX_CALLS": "0"}, "BOT_TELEPHONY_MAX_CALLS='0' must be"),
        ({"BOT_TELEPHONY_MAX_CALLS": "2.5"}, "whole number"),
        ({"BOT_TELEPHONY_AGENT_URI": "queue"}, "BOT_TELEPHONY_AGENT_URI='queue' is not a SIP URI"),
        ({"BOT_SIP_REGISTRAR": "10.0.0.5"}, "BOT_SIP_REGISTRAR='10.0.0.5' is not a SIP URI"),
        ({"BOT_SIP_REGISTRAR": "sip:10.0.0.5"}, "needs BOT_SIP_USER"),
    ],
)
def test_bad_values_name_the_key_and_the_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load(**env)
