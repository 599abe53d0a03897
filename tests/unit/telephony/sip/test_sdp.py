"""Offer/answer: PCMA first, then PCMU, telephone-event at the offered payload type, 488
(an SdpError) when nothing usable is offered."""

from __future__ import annotations

import pytest

from bot.telephony.sip import sdp

BOTH = ("PCMA", "PCMU")


def offer(media: str, extra: str = "", session_c: str = "c=IN IP4 10.0.0.5\r\n") -> bytes:
    return (f"v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\n{session_c}t=0 0\r\n{media}{extra}").encode()


AUDIO = (
    "m=audio 30000 RTP/AVP 0 8 96\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"
)


def test_pcma_is_chosen_first_even_when_offered_second() -> None:
    chosen, index = sdp.negotiate(sdp.parse(offer(AUDIO)), BOTH)
    assert (chosen.codec, chosen.payload_type, chosen.te_payload_type) == ("PCMA", 8, 96)
    assert (chosen.remote_host, chosen.remote_port, chosen.direction, index) == (
        "10.0.0.5",
        30000,
        "sendrecv",
        0,
    )


def test_pcmu_when_that_is_all_and_static_types_need_no_rtpmap() -> None:
    chosen, _ = sdp.negotiate(sdp.parse(offer("m=audio 4000 RTP/AVP 0\r\n")), BOTH)
    assert (chosen.codec, chosen.payload_type, chosen.te_payload_type) == ("PCMU", 0, None)


def test_our_preference_order_is_configurable() -> None:
    chosen, _ = sdp.negotiate(sdp.parse(offer(AUDIO)), ("PCMU",))
    assert chosen.codec == "PCMU"


def test_only_unknown_codecs_is_an_error_naming_them() -> None:
    body = offer("m=audio 4000 RTP/AVP 18 96\r\na=rtpmap:18 G729/8000\r\na=rtpmap:96 AMR/8000\r\n")
    with pytest.raises(sdp.SdpError, match="G729/8000, AMR/8000"):
        sdp.negotiate(sdp.parse(body), BOTH)


def test_srtp_only_is_refused() -> None:
    with pytest.raises(sdp.SdpError, match="RTP/SAVP"):
        sdp.negotiate(sdp.parse(offer("m=audio 4000 RTP/SAVP 8\r\n")), BOTH)


def test_video_is_declined_and_audio_kept_with_the_media_level_address() -> None:
    body = offer(
        "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
        "m=audio 6000 RTP/AVP 8\r\nc=IN IP4 10.9.9.9\r\na=sendonly\r\n"
    )
    parsed = sdp.parse(body)
    chosen, index = sdp.negotiate(parsed, BOTH)
    assert (index, chosen.remote_host, chosen.direction) == (1, "10.9.9.9", "recvonly")
    answer = sdp.answer(parsed, chosen, index, "127.0.0.1", 41000, (7, 2)).decode()
    assert "m=video 0 RTP/AVP 96" in answer  # same number of m= lines, video port 0
    assert "m=audio 41000 RTP/AVP 8\r\n" in answer
    assert "o=- 7 2 IN IP4 127.0.0.1" in answer and "a=recvonly" in answer


def test_the_answer_carries_the_offered_event_type() -> None:
    parsed = sdp.parse(offer(AUDIO))
    chosen, index = sdp.negotiate(parsed, BOTH)
    answer = sdp.answer(parsed, chosen, index, "127.0.0.1", 41000).decode()
    assert "m=audio 41000 RTP/AVP 8 96\r\n" in answer
    assert "a=rtpmap:96 telephone-event/8000" in answer and "a=ptime:20" in answer
    again = sdp.negotiate(sdp.parse(answer.encode()), BOTH)[0]
    assert (again.codec, again.te_payload_type, again.remote_port) == ("PCMA", 96, 41000)


def test_our_offer_lists_our_codecs_and_events() -> None:
    body = sdp.offer(BOTH, "127.0.0.1", 42000)
    chosen, _ = sdp.negotiate(sdp.parse(body), ("PCMU", "PCMA"))
    assert chosen.codec == "PCMU" and chosen.te_payload_type == sdp.DEFAULT_TE_PT
    assert b"m=audio 42000 RTP/AVP 8 0 101" in body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"v=0\r\n", "No m= line"),
        (offer("m=audio x RTP/AVP 8\r\n"), "Bad m= line"),
        (offer("m=audio 4000 RTP/AVP 8\r\n", session_c="c=IN IP4\r\n"), "Bad c= line"),
        (offer("m=audio 4000 RTP/AVP 8\r\n", session_c=""), "No c= connection"),
    ],
)
def test_broken_sdp_says_what(body: bytes, reason: str) -> None:
    with pytest.raises(sdp.SdpError, match=reason):
        sdp.negotiate(sdp.parse(body), BOTH)
