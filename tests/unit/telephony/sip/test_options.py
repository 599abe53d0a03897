"""The adapter's settings from TelephonySettings (bot/telephony/config.py)."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.telephony.config import TelephonySettings
from bot.telephony.sip.options import SipOptions
from bot.telephony.sip.register import registrar_uri


def test_read_from_the_telephony_settings() -> None:
    tset = TelephonySettings.load(
        environ={
            "BOT_SIP_HOST": "0.0.0.0",
            "BOT_SIP_PORT": "5080",
            "BOT_SIP_PUBLIC_HOST": "203.0.113.7",
            "BOT_SIP_RTP_PORTS": "30000-30100",
            "BOT_SIP_CODECS": "PCMU",
            "BOT_SIP_RTP_TIMEOUT_S": "5",
            "BOT_SIP_REGISTRAR": "sip:pbx.local:5060",
            "BOT_SIP_USER": "8001",
            "BOT_SIP_PASSWORD": "pw",
        },
        dotenv=None,
    )
    options = SipOptions.from_telephony(tset)
    assert (options.host, options.port, options.advertised_host) == ("0.0.0.0", 5080, "203.0.113.7")
    assert (options.rtp_ports, options.codecs, options.rtp_timeout_s) == (
        (30000, 30100),
        ("PCMU",),
        5.0,
    )
    assert (options.registrar, options.user, options.password) == (
        "sip:pbx.local:5060",
        "8001",
        "pw",
    )
    assert "pw" not in repr(options)


def test_defaults_are_a_trunk_endpoint_on_5070() -> None:
    options = SipOptions.from_telephony(TelephonySettings())
    assert (options.port, options.registrar, options.user, options.codecs) == (
        5070,
        None,
        "bot",
        ("PCMA", "PCMU"),
    )


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"codecs": ("G729",)}, "BOT_SIP_CODECS"),
        ({"rtp_ports": (50, 60)}, "BOT_SIP_RTP_PORTS"),
        ({"rtp_timeout_s": 0}, "BOT_SIP_RTP_TIMEOUT_S"),
    ],
)
def test_bad_values_name_the_key(kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        SipOptions(**kwargs)


def test_registrar_forms() -> None:
    assert registrar_uri("pbx.local:5062").address == ("pbx.local", 5062)
    assert registrar_uri("sip:10.0.0.1").address == ("10.0.0.1", 5060)
    with pytest.raises(ConfigError, match="BOT_SIP_REGISTRAR"):
        registrar_uri("sip:bad host")
