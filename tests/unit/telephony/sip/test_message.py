"""Tolerant SIP parsing: what real equipment sends (compact forms, any case, folded
lines, empty headers, many Via) is read; what cannot be acted on is a 400 reason."""

from __future__ import annotations

import pytest

from bot.telephony.sip.message import SipParseError, canonical, make_response, parse

INVITE = (
    "INVITE sip:bot@127.0.0.1:5070 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa1;rport\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKb2, SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKc3\r\n"
    "Max-Forwards: 69\r\n"
    'From: "Caller" <sip:13800000000@10.0.0.1>;tag=abc\r\n'
    "To: <sip:bot@127.0.0.1:5070>\r\n"
    "Call-ID: 1234@10.0.0.1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: <sip:13800000000@10.0.0.1:5060>\r\n"
    "Supported:\r\n"
    "Subject: a long\r\n"
    "  folded subject\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\r\nignored tail"
)


def test_a_full_invite_is_read() -> None:
    msg = parse(INVITE.encode())
    assert (msg.method, msg.uri) == ("INVITE", "sip:bot@127.0.0.1:5070")
    assert msg.cseq == (7, "INVITE")
    assert msg.call_id == "1234@10.0.0.1"
    assert msg.body == b"v=0\r"  # Content-Length cuts what follows
    assert msg.get("supported") == ""
    assert msg.get("Subject") == "a long folded subject"
    assert [v.host for v in msg.vias] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert msg.vias[0].branch == "z9hG4bKa1" and "rport" in msg.vias[0].params
    assert msg.address("From").tag == "abc" and msg.address("From").display == "Caller"


def test_compact_forms_and_any_case_are_the_same_headers() -> None:
    text = (
        "OPTIONS sip:bot@h SIP/2.0\n"  # bare LF line ends, as some stacks send
        "v: SIP/2.0/UDP h:5060;branch=z9hG4bKx\n"
        "f: <sip:a@h>;tag=1\n"
        "t: <sip:bot@h>\n"
        "i: cid\n"
        "CSEQ: 1 OPTIONS\n"
        "m: <sip:a@h>\n"
        "l: 0\n\n"
    )
    msg = parse(text.encode())
    assert msg.get("Call-ID") == "cid"
    assert msg.get("contact") == "<sip:a@h>"
    assert msg.get("Content-Length") == "0"
    assert canonical("call-id") == "Call-ID" and canonical("WWW-AUTHENTICATE") == "WWW-Authenticate"
    assert canonical("x") == "Session-Expires" and canonical("r") == "Refer-To"


def test_leading_blank_lines_and_a_missing_content_length_are_tolerated() -> None:
    text = INVITE.replace("Content-Length: 4\r\n", "")
    msg = parse(b"\r\n\r\n" + text.encode())
    assert msg.body == b"v=0\r\nignored tail"


def test_a_response_is_read() -> None:
    msg = parse(
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n"
        b"To: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n"
    )
    assert (msg.status, msg.reason, msg.is_request) == (180, "Ringing", False)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("Call-ID: 1234@10.0.0.1\r\n", ""), "Missing Call-ID header"),
        (("CSeq: 7 INVITE", "CSeq: seven INVITE"), "Bad CSeq"),
        (("CSeq: 7 INVITE", "CSeq: 7 BYE"), "does not match"),
        (("Content-Length: 4", "Content-Length: 400"), "Content-Length larger"),
        (("Content-Length: 4", "Content-Length: -1"), "Bad Content-Length"),
        (("Max-Forwards: 69", "Max-Forwards: x"), "Bad Max-Forwards"),
        (("Max-Forwards: 69", "Max-Forwards 69"), "Malformed header line"),
        (
            ("Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa1;rport", "Via: nonsense"),
            "Malformed Via",
        ),
        (('From: "Caller" <sip:13800000000@10.0.0.1>;tag=abc', "From: <sip:x"), "Bad From"),
        (
            ("INVITE sip:bot@127.0.0.1:5070 SIP/2.0", "INVITE sip:bot@127.0.0.1:5070"),
            "Bad request line",
        ),
        (("INVITE sip:bot@127.0.0.1:5070 SIP/2.0", "INV{TE sip:bot SIP/2.0"), "Bad method"),
    ],
)
def test_unusable_messages_are_400_with_the_reason(change: tuple[str, str], reason: str) -> None:
    with pytest.raises(SipParseError) as err:
        parse(INVITE.replace(*change).encode())
    assert reason in err.value.reason
    assert err.value.status == 400


def test_another_sip_version_is_505_with_the_headers_kept_for_the_answer() -> None:
    with pytest.raises(SipParseError) as err:
        parse(INVITE.replace("5070 SIP/2.0", "5070 SIP/3.0", 1).encode())
    assert err.value.status == 505
    assert err.value.partial is not None and err.value.partial.call_id == "1234@10.0.0.1"


def test_a_broken_request_line_still_keeps_the_headers_for_a_400() -> None:
    with pytest.raises(SipParseError) as err:
        parse(INVITE.replace("INVITE sip:bot@127.0.0.1:5070 SIP/2.0", "INVITE", 1).encode())
    assert err.value.partial is not None and err.value.partial.get("Via")


@pytest.mark.parametrize("data", [b"", b"\x00\xff\xfe", b"hello", b"SIP/2.0 999 Nope\r\n\r\n"])
def test_garbage_is_refused_without_a_request_to_answer(data: bytes) -> None:
    with pytest.raises(SipParseError) as err:
        parse(data)
    assert err.value.partial is None or not err.value.partial.get("Via")


def test_serialising_sets_content_length_and_round_trips() -> None:
    msg = parse(INVITE.encode())
    msg.body = b"v=0\r\n"
    again = parse(msg.to_bytes())
    assert again.get("Content-Length") == "5"
    assert again.body == b"v=0\r\n"
    assert again.values("Via") == msg.values("Via")


def test_a_response_copies_the_request_and_marks_where_it_came_from() -> None:
    msg = parse(INVITE.encode())
    response = make_response(msg, 200, "OK", to_tag="bot1", source=("192.0.2.9", 40000))
    text = response.to_bytes().decode()
    assert text.startswith("SIP/2.0 200 OK\r\n")
    assert response.values("Via")[0] == (
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa1;rport=40000;received=192.0.2.9"
    )
    assert len(response.values("Via")) == 3  # every Via, in order
    assert response.address("To").tag == "bot1"
    assert response.cseq == (7, "INVITE")


def test_a_to_tag_already_there_is_kept() -> None:
    msg = parse(INVITE.replace("To: <sip:bot@127.0.0.1:5070>", "To: <sip:bot@h>;tag=old").encode())
    assert make_response(msg, 200, "OK", to_tag="new").address("To").tag == "old"
