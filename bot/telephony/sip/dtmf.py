"""RFC 4733 telephone events (keys sent in RTP, "RFC 2833 DTMF"): the 4-byte payload, a
receiver that reports each key once, and the packets that send one."""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

KEYS = "0123456789*#ABCD"  # event codes 0-15 in order


@dataclass(frozen=True)
class Event:
    code: int
    end: bool
    volume: int
    duration: int  # in timestamp units (1/8000 s)

    @property
    def key(self) -> str | None:
        return KEYS[self.code] if self.code < len(KEYS) else None  # 16 = flash: no key

    @classmethod
    def parse(cls, payload: bytes) -> Event | None:
        if len(payload) < 4:
            return None
        code, flags, duration = struct.unpack("!BBH", payload[:4])
        return cls(code, bool(flags & 0x80), flags & 0x3F, duration)

    def to_bytes(self) -> bytes:
        return struct.pack(
            "!BBH", self.code, (0x80 if self.end else 0) | self.volume, self.duration
        )


class EventReceiver:
    """One key per event. A sender repeats an event's packets as it lasts, and sends its end
    packet three times, all with the timestamp of the event's start: that timestamp is the
    event's identity, so it is reported on the first packet seen and never again."""

    def __init__(self, memory: int = 16) -> None:
        self._seen: deque[tuple[int, int]] = deque(maxlen=memory)

    def feed(self, ssrc: int, timestamp: int, payload: bytes) -> str | None:
        event = Event.parse(payload)
        if event is None or event.key is None:
            return None
        ident = (ssrc, timestamp)
        if ident in self._seen:
            return None
        self._seen.append(ident)
        return event.key


def event_payloads(key: str, duration_ms: int = 100, volume: int = 10) -> list[tuple[bytes, bool]]:
    """The payloads for one key, one per 20 ms packet: growing durations, then the end
    packet three times (RFC 4733 2.5.1.4). Each comes with its marker bit (first only)."""
    if len(key) != 1 or key.upper() not in KEYS:
        raise ValueError(f"DTMF key {key!r} is not one of {KEYS}")
    code = KEYS.index(key.upper())
    steps = max(1, duration_ms // 20)
    packets = [
        (Event(code, False, volume, 160 * (i + 1)).to_bytes(), i == 0) for i in range(steps - 1)
    ]
    end = Event(code, True, volume, 160 * steps).to_bytes()
    return packets + [(end, steps == 1)] + [(end, False)] * 2
