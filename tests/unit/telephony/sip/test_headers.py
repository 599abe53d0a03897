"""URIs, name-addrs, Via and header lists as real equipment writes them."""

from __future__ import annotations

import pytest

from bot.telephony.sip.headers import HeaderError, NameAddr, SipUri, Via, split_list


def test_lists_split_at_top_level_commas_only() -> None:
    value = '"Doe, John" <sip:j@h;x=a,b>;tag=1, <sip:k@h>, sip:l@h'
    assert split_list(value) == ['"Doe, John" <sip:j@h;x=a,b>;tag=1', "<sip:k@h>", "sip:l@h"]


@pytest.mark.parametrize(
    ("text", "user", "host", "port", "params"),
    [
        ("sip:bot@127.0.0.1:5070", "bot", "127.0.0.1", 5070, {}),
        ("sip:127.0.0.1;lr;ftag=x", None, "127.0.0.1", None, {"lr": None, "ftag": "x"}),
        ("sips:alice:secret@example.com?subject=x", "alice", "example.com", None, {}),
        (
            "sip:bot@[2001:db8::1]:5060;transport=udp",
            "bot",
            "[2001:db8::1]",
            5060,
            {"transport": "udp"},
        ),
        ("tel:+861012345;phone-context=cn", "+861012345", "", None, {"phone-context": "cn"}),
    ],
)
def test_uris(text: str, user: str | None, host: str, port: int | None, params: dict) -> None:
    uri = SipUri.parse(text)
    assert (uri.user, uri.host, uri.port, uri.params) == (user, host, port, params)


def test_a_uri_prints_back_without_the_password() -> None:
    assert str(SipUri.parse("sip:alice:pw@h:5062;lr")) == "sip:alice@h:5062;lr"
    assert SipUri.parse("sip:q@[::1]:5090").address == ("::1", 5090)
    assert SipUri.parse("sip:q@h").address == ("h", 5060)


@pytest.mark.parametrize(
    "text", ["http://x", "sip:", "sip:bot@bad host", "sip:bot@h:99999", "nonsense"]
)
def test_bad_uris_say_why(text: str) -> None:
    with pytest.raises(HeaderError):
        SipUri.parse(text)


def test_name_addr_forms() -> None:
    a = NameAddr.parse('"客服 Bot" <sip:bot@h;transport=udp>;tag=xyz;expires=60')
    assert (a.display, a.uri, a.tag, a.params["expires"]) == (
        "客服 Bot",
        "sip:bot@h;transport=udp",
        "xyz",
        "60",
    )
    bare = NameAddr.parse("sip:a@h;tag=1")  # addr-spec: the ;tag belongs to the header
    assert (bare.uri, bare.tag) == ("sip:a@h", "1")
    assert str(NameAddr.parse("<sip:a@h>").with_tag("t")) == "<sip:a@h>;tag=t"
    with pytest.raises(HeaderError):
        NameAddr.parse("<sip:a@h")


def test_via_forms() -> None:
    via = Via.parse("SIP / 2.0 / udp 10.0.0.1:5062 ;branch=z9hG4bK1;rport;received=1.2.3.4")
    assert (via.transport, via.host, via.port, via.branch) == ("UDP", "10.0.0.1", 5062, "z9hG4bK1")
    assert via.params["rport"] is None
    assert str(Via.parse("SIP/2.0/UDP h;branch=b")) == "SIP/2.0/UDP h;branch=b"
    with pytest.raises(HeaderError):
        Via.parse("SIP/2.0/UDP")
