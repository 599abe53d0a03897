"""One call's RTP (RFC 3550) over UDP: G.711 audio in and out, RFC 4733 keys in and out.

Out: a sender paced by the event loop's monotonic clock sends one 20 ms packet per tick,
taking it from the playback buffer, or silence when nothing plays (many trunks drop a
call whose RTP stops). Nothing is queued in the socket ahead of time, so stop_playback
leaves at most the frame being sent. In: packets are put back in sequence order through a
small reorder window, duplicates and late packets dropped, short losses filled with
silence; the peer's address is learnt from its first packet (symmetric RTP, for NAT).
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass

from bot.telephony.sip.codec import Codec
from bot.telephony.sip.dtmf import EventReceiver, event_payloads

log = logging.getLogger(__name__)

FRAME_S = 0.020
FRAME_SAMPLES = 160
_REORDER = 2  # packets held back waiting for a missing one (40 ms)
_MAX_FILL = 5  # lost packets filled with silence; longer gaps are not (hold, restarts)
_MAX_LATE_S = 0.1  # behind the clock by more than this: resynchronise instead of bursting


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket | None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return None
        csrc, has_ext, padded = data[0] & 0x0F, data[0] & 0x10, data[0] & 0x20
        end = len(data) - (data[-1] if padded else 0)
        offset = 12 + 4 * csrc
        if has_ext:
            if offset + 4 > end:
                return None
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        if offset > end:
            return None
        seq, ts, ssrc = struct.unpack_from("!HII", data, 2)
        return cls(data[1] & 0x7F, seq, ts, ssrc, data[offset:end], bool(data[1] & 0x80))

    def to_bytes(self) -> bytes:
        head = struct.pack(
            "!BBHII",
            0x80,
            (0x80 if self.marker else 0) | self.payload_type,
            self.sequence,
            self.timestamp,
            self.ssrc,
        )
        return head + self.payload


class RtpSession(asyncio.DatagramProtocol):
    def __init__(
        self,
        codec: Codec,
        payload_type: int,
        te_payload_type: int | None,
        remote: tuple[str, int],
        on_audio: Callable[[bytes], None],
        on_dtmf: Callable[[str], None],
        send: bool = True,
        receive: bool = True,
    ) -> None:
        self.codec, self.payload_type, self.te_payload_type = codec, payload_type, te_payload_type
        self.remote = remote
        self._on_audio, self._on_dtmf, self._send_enabled = on_audio, on_dtmf, send
        self.receiving = receive  # False on hold: no RTP expected (no inactivity teardown)
        self._transport: asyncio.DatagramTransport | None = None
        self._latched = False
        self._playback = bytearray()
        self._events: list[tuple[bytes, bool, int]] = []
        self._ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._sender: asyncio.Task[None] | None = None
        self._rx_ssrc: int | None = None
        self._expected = 0
        self._held: dict[int, bytes] = {}
        self._dtmf = EventReceiver()
        self.last_rx: float | None = None  # loop time of the last valid packet from the peer
        self.stats = {"rx": 0, "rx_dropped": 0, "rx_filled": 0, "tx": 0}

    # --- lifecycle -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    @property
    def local_port(self) -> int:
        assert self._transport is not None
        return int(self._transport.get_extra_info("sockname")[1])

    def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_loop())

    def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def set_remote(self, remote: tuple[str, int], send: bool = True, receive: bool = True) -> None:
        """A re-INVITE (or the ACK's answer) moved the peer's media: forget the learnt address."""
        self.remote, self._send_enabled, self.receiving = remote, send, receive
        self._latched = False

    # --- playback (CallControl) ------------------------------------------------------
    def play(self, pcm: bytes) -> None:
        self._playback += pcm[: len(pcm) // 2 * 2]

    def stop_playback(self) -> None:
        self._playback.clear()

    def playback_pending_s(self) -> float:
        return len(self._playback) / 2 / 8000

    def send_dtmf(self, key: str, duration_ms: int = 100) -> bool:
        """Queue one key as RFC 4733 events; False when the peer offered no telephone-event."""
        if self.te_payload_type is None:
            return False
        self._events += [(p, m, i) for i, (p, m) in enumerate(event_payloads(key, duration_ms))]
        return True

    # --- sending ---------------------------------------------------------------------
    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        first = True
        event_ts = 0
        while self._transport is not None:
            if self._events:
                payload, marker, index = self._events.pop(0)
                event_ts = self._ts if index == 0 else event_ts
                self._send(
                    RtpPacket(
                        self.te_payload_type or 0, self._seq, event_ts, self._ssrc, payload, marker
                    )
                )
            else:
                frame = bytes(self._playback[: FRAME_SAMPLES * 2])
                del self._playback[: FRAME_SAMPLES * 2]
                if frame:
                    frame = frame.ljust(FRAME_SAMPLES * 2, b"\0")
                    payload = self.codec.encode(frame)
                else:
                    payload = bytes([self.codec.silence]) * FRAME_SAMPLES
                self._send(
                    RtpPacket(self.payload_type, self._seq, self._ts, self._ssrc, payload, first)
                )
                first = False
            self._seq = (self._seq + 1) & 0xFFFF
            self._ts = (self._ts + FRAME_SAMPLES) & 0xFFFFFFFF
            due += FRAME_S
            late = loop.time() - due
            if late > _MAX_LATE_S:  # the loop stalled: skip the lost time, do not burst
                missed = int(late / FRAME_S)
                self._ts = (self._ts + missed * FRAME_SAMPLES) & 0xFFFFFFFF
                due += missed * FRAME_S
            await asyncio.sleep(max(0.0, due - loop.time()))

    def _send(self, packet: RtpPacket) -> None:
        if self._transport is None or not self._send_enabled or not self.remote[1]:
            return
        self._transport.sendto(packet.to_bytes(), self.remote)
        self.stats["tx"] += 1

    # --- receiving -------------------------------------------------------------------
    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        packet = RtpPacket.parse(data)
        if packet is None or 72 <= packet.payload_type <= 76:  # not RTP, or muxed RTCP
            return
        if self._latched and addr[0] != self.remote[0]:
            # another host: not our peer. (Another port of the peer's host is accepted: some
            # send keys from a second socket, as sipp's pcap player does.)
            self.stats["rx_dropped"] += 1
            return
        if not self._latched:
            self.remote, self._latched = addr, True
        self.last_rx = asyncio.get_running_loop().time()
        self.stats["rx"] += 1
        if self.te_payload_type is not None and packet.payload_type == self.te_payload_type:
            key = self._dtmf.feed(packet.ssrc, packet.timestamp, packet.payload)
            if key is not None:
                self._on_dtmf(key)
        elif packet.payload_type == self.payload_type:
            self._reorder(packet)
        # anything else (comfort noise, another codec) is ignored

    def _reorder(self, packet: RtpPacket) -> None:
        if packet.ssrc != self._rx_ssrc:  # a new stream (or the peer restarted it)
            self._flush()
            self._rx_ssrc, self._expected = packet.ssrc, packet.sequence
        ahead = (packet.sequence - self._expected) & 0xFFFF
        if ahead >= 0x8000:  # behind what was delivered: late or a duplicate
            self.stats["rx_dropped"] += 1
            return
        if ahead > 1000:  # a jump, not a loss: start over from here
            self._flush()
            self._expected = packet.sequence
        self._held[packet.sequence] = packet.payload
        self._deliver_ready()
        if len(self._held) > _REORDER:  # waited long enough for the missing one
            nearest = min(self._held, key=lambda s: (s - self._expected) & 0xFFFF)
            missing = (nearest - self._expected) & 0xFFFF
            if missing <= _MAX_FILL:
                self.stats["rx_filled"] += missing
                self._on_audio(b"\0" * (FRAME_SAMPLES * 2 * missing))
            self._expected = nearest
            self._deliver_ready()

    def _deliver_ready(self) -> None:
        while self._expected in self._held:
            self._on_audio(self.codec.decode(self._held.pop(self._expected)))
            self._expected = (self._expected + 1) & 0xFFFF

    def _flush(self) -> None:
        for seq in sorted(self._held, key=lambda s: (s - self._expected) & 0xFFFF):
            self._on_audio(self.codec.decode(self._held[seq]))
        self._held.clear()


class PortPool:
    """Even RTP ports from BOT_SIP_RTP_PORTS, handed out and taken back per call."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self.busy: set[int] = set()

    async def open(self, host: str, protocol: RtpSession) -> int:
        loop = asyncio.get_running_loop()
        candidates = [
            p for p in range(self.low + self.low % 2, self.high + 1, 2) if p not in self.busy
        ]
        random.shuffle(candidates)
        for port in candidates[:64]:
            try:
                await loop.create_datagram_endpoint(lambda: protocol, local_addr=(host, port))
            except OSError:
                continue
            self.busy.add(port)
            return port
        raise OSError(f"no free RTP port in {self.low}-{self.high} on {host}")

    def release(self, port: int) -> None:
        self.busy.discard(port)
