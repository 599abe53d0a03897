"""Dialog state from the INVITE, and the requests the bot sends inside a call."""

from __future__ import annotations

import pytest

from bot.telephony.sip.dialog import Dialog
from bot.telephony.sip.message import SipParseError, parse

INVITE = (
    "INVITE sip:bot@10.0.0.9:5070 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKk1\r\n"
    "Record-Route: <sip:10.0.0.1;lr;ftag=abc>, <sip:10.0.0.2;lr>\r\n"
    "From: <sip:13800000000@trunk>;tag=abc\r\n"
    "To: <sip:bot@10.0.0.9>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:13800000000@192.168.1.5:5062;transport=udp>\r\n"
    "Content-Length: 0\r\n\r\n"
)


def dialog(text: str = INVITE) -> Dialog:
    return Dialog.from_invite(parse(text.encode()), "bottag", "sip:bot@10.0.0.9:5070")


def test_state_from_the_invite() -> None:
    d = dialog()
    assert (d.local_tag, d.remote_tag, d.remote_cseq) == ("bottag", "abc", 10)
    assert d.remote_target == "sip:13800000000@192.168.1.5:5062;transport=udp"
    assert d.route_set == ["<sip:10.0.0.1;lr;ftag=abc>", "<sip:10.0.0.2;lr>"]


def test_a_request_follows_the_route_set_with_one_cseq_counter() -> None:
    d = dialog()
    bye, hop = d.request("BYE", ("10.0.0.9", 5070))
    refer, _ = d.request("REFER", ("10.0.0.9", 5070), [("Refer-To", "<sip:queue@h>")])
    assert hop == ("10.0.0.1", 5060)  # the first Record-Route, not the Contact
    assert bye.uri == d.remote_target
    assert bye.values("Route") == d.route_set
    assert bye.address("From").tag == "bottag" and bye.address("To").tag == "abc"
    assert refer.cseq[0] == bye.cseq[0] + 1 and refer.get("Refer-To") == "<sip:queue@h>"
    assert bye.vias[0].branch.startswith("z9hG4bK") and bye.vias[0].branch != refer.vias[0].branch


def test_without_a_route_set_the_request_goes_to_the_contact() -> None:
    d = dialog(
        INVITE.replace("Record-Route: <sip:10.0.0.1;lr;ftag=abc>, <sip:10.0.0.2;lr>\r\n", "")
    )
    bye, hop = d.request("BYE", ("h", 5070))
    assert hop == ("192.168.1.5", 5062) and bye.get("Route") is None


def test_a_strict_router_goes_in_the_request_uri() -> None:
    d = dialog(INVITE.replace("<sip:10.0.0.1;lr;ftag=abc>, <sip:10.0.0.2;lr>", "<sip:10.0.0.7>"))
    bye, hop = d.request("BYE", ("h", 5070))
    assert bye.uri == "sip:10.0.0.7" and hop == ("10.0.0.7", 5060)
    assert bye.values("Route") == [f"<{d.remote_target}>"]


def test_matching_and_cseq_order() -> None:
    d = dialog()
    inside = parse(
        INVITE.replace("To: <sip:bot@10.0.0.9>", "To: <sip:bot@10.0.0.9>;tag=bottag")
        .replace("INVITE", "BYE")
        .replace("CSeq: 10 BYE", "CSeq: 11 BYE")
        .encode()
    )
    assert d.matches(inside)
    assert d.accept_remote_cseq(11, "BYE") and not d.accept_remote_cseq(9, "INFO")
    assert d.accept_remote_cseq(10, "ACK")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ("From: <sip:13800000000@trunk>;tag=abc", "From: <sip:13800000000@trunk>"),
            "without a tag",
        ),
        (
            ("Contact: <sip:13800000000@192.168.1.5:5062;transport=udp>\r\n", ""),
            "without a Contact",
        ),
        (("<sip:13800000000@192.168.1.5:5062;transport=udp>", "<mailto:x>"), "Bad Contact"),
    ],
)
def test_an_invite_without_what_a_dialog_needs_is_a_400(
    change: tuple[str, str], reason: str
) -> None:
    with pytest.raises(SipParseError, match=reason):
        dialog(INVITE.replace(*change))
