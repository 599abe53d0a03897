"""RFC 4733 events: each key once, however many packets carry it."""

from __future__ import annotations

import pytest

from bot.telephony.sip.dtmf import Event, EventReceiver, event_payloads


def test_payload_round_trip() -> None:
    event = Event(11, True, 10, 800)
    assert event.to_bytes() == b"\x0b\x8a\x03\x20"
    assert Event.parse(event.to_bytes()) == event
    assert event.key == "#"
    assert Event.parse(b"\x01") is None


def test_a_key_is_reported_once_for_all_its_packets() -> None:
    receiver = EventReceiver()
    packets = [p for p, _ in event_payloads("5", 100)]
    assert len(packets) == 7  # 4 growing, then the end packet three times
    keys = [receiver.feed(0x1234, 8000, p) for p in packets]
    assert keys == ["5"] + [None] * 6


def test_the_same_key_twice_is_two_events() -> None:
    receiver = EventReceiver()
    end = Event(1, True, 10, 800).to_bytes()
    assert [receiver.feed(1, ts, end) for ts in (100, 100, 900, 900)] == ["1", None, "1", None]


def test_a_lost_start_still_reports_the_key_from_its_end_packet() -> None:
    assert EventReceiver().feed(1, 5, Event(0, True, 10, 800).to_bytes()) == "0"


def test_flash_and_unknown_events_are_no_keys() -> None:
    assert EventReceiver().feed(1, 5, Event(16, False, 10, 160).to_bytes()) is None


def test_sending_marks_only_the_first_packet_and_grows_the_duration() -> None:
    payloads = event_payloads("*", 60)
    events = [Event.parse(p) for p, _ in payloads]
    assert [m for _, m in payloads] == [True, False, False, False, False]
    assert [(e.code, e.end, e.duration) for e in events if e] == [
        (10, False, 160),
        (10, False, 320),
        (10, True, 480),
        (10, True, 480),
        (10, True, 480),
    ]
    with pytest.raises(ValueError, match="not one of"):
        event_payloads("x")
