"""RTP packets, the receive path (order, duplicates, loss, keys, latching) and the send
path (20 ms pacing by the monotonic clock, fast stop, keys out), on loopback sockets."""

from __future__ import annotations

import asyncio
import struct

import numpy as np

from bot.telephony.sip.codec import CODECS
from bot.telephony.sip.dtmf import Event, event_payloads
from bot.telephony.sip.rtp import PortPool, RtpPacket, RtpSession

PCMA = CODECS["PCMA"]


def test_packet_round_trip_and_header_extras() -> None:
    packet = RtpPacket(8, 65535, 2**32 - 1, 0xDEADBEEF, b"\xd5" * 160, marker=True)
    assert RtpPacket.parse(packet.to_bytes()) == packet
    head = bytearray(packet.to_bytes()[:12])
    head[0] = 0x80 | 0x20 | 0x10 | 0x01  # padding, extension, one CSRC
    data = bytes(head) + b"CSRC" + struct.pack("!HH", 0xBEDE, 1) + b"EXT!" + b"ab" + b"\x00\x02"
    assert RtpPacket.parse(data).payload == b"ab"  # type: ignore[union-attr]


def test_not_rtp_is_none() -> None:
    assert RtpPacket.parse(b"\x00" * 20) is None  # version 0
    assert RtpPacket.parse(b"\x80\x08") is None  # too short
    assert RtpPacket.parse(b"\x90" + b"\x00" * 11 + b"\x00\x01\x00\x09") is None  # ext too long


class Sink:
    def __init__(self) -> None:
        self.audio: list[bytes] = []
        self.keys: list[str] = []


def session(sink: Sink, te: int | None = 101) -> RtpSession:
    return RtpSession(PCMA, 8, te, ("127.0.0.1", 9), sink.audio.append, sink.keys.append)


def frame(seq: int) -> bytes:
    """A frame that says which packet it was: A-law code seq+1 (codes decode one-to-one,
    and none of them to 0, the silence a loss is filled with)."""
    return bytes([seq % 250 + 1]) * 160


_CODE_OF = {PCMA.decode(bytes([c]))[:2]: c for c in range(256)}


def feed(rtp: RtpSession, seqs: list[int], addr: tuple[str, int] = ("127.0.0.1", 5000)) -> None:
    async def run() -> None:
        for seq in seqs:
            rtp.datagram_received(RtpPacket(8, seq, seq * 160, 7, frame(seq)).to_bytes(), addr)

    asyncio.run(run())


def levels(sink: Sink) -> list[int]:
    """Which packet each delivered frame came from (-1: filled silence)."""
    return [_CODE_OF[a[:2]] - 1 if a.strip(b"\0") else -1 for a in sink.audio]


def test_packets_come_out_in_order_without_duplicates_or_late_ones() -> None:
    sink = Sink()
    rtp = session(sink)
    feed(rtp, [10, 12, 11, 11, 13, 9, 14])
    assert levels(sink) == [10, 11, 12, 13, 14]
    assert rtp.stats["rx_dropped"] == 2  # the duplicate 11 and the late 9


def test_a_lost_packet_becomes_silence_after_the_reorder_window() -> None:
    sink = Sink()
    rtp = session(sink)
    feed(rtp, [1, 2, 4, 5, 6])
    assert levels(sink) == [1, 2, -1, 4, 5, 6]
    assert rtp.stats["rx_filled"] == 1


def test_sequence_wraps_and_a_new_ssrc_starts_over() -> None:
    sink = Sink()
    rtp = session(sink)
    feed(rtp, [65534, 65535, 0, 1])
    assert len(sink.audio) == 4
    asyncio.run(_new_stream(rtp))
    assert len(sink.audio) == 5


async def _new_stream(rtp: RtpSession) -> None:
    rtp.datagram_received(RtpPacket(8, 500, 0, 99, frame(3)).to_bytes(), ("127.0.0.1", 5000))


def test_the_peer_is_learnt_from_its_first_packet_and_other_hosts_are_ignored() -> None:
    sink = Sink()
    rtp = session(sink)
    feed(rtp, [1], ("127.0.0.1", 5000))
    assert rtp.remote == ("127.0.0.1", 5000)
    feed(rtp, [50], ("127.0.0.2", 5000))
    feed(rtp, [2], ("127.0.0.1", 5002))  # the peer's host, another socket (sipp's pcap player)
    assert levels(sink) == [1, 2] and rtp.stats["rx_dropped"] == 1
    assert rtp.remote == ("127.0.0.1", 5000)  # still sending where the first packet came from


def test_keys_are_reported_once_and_other_payload_types_ignored() -> None:
    sink = Sink()
    rtp = session(sink)

    async def run() -> None:
        for payload, marker in event_payloads("7", 100):
            rtp.datagram_received(RtpPacket(101, 1, 800, 7, payload, marker).to_bytes(), ("h", 1))
        rtp.datagram_received(RtpPacket(13, 2, 960, 7, b"\x40").to_bytes(), ("h", 1))  # CN

    asyncio.run(run())
    assert sink.keys == ["7"] and sink.audio == []


async def _capture(
    seconds: float, play: bytes, stop_after: float | None = None, key: str | None = None
) -> list[tuple[float, RtpPacket]]:
    loop = asyncio.get_running_loop()
    got: list[tuple[float, RtpPacket]] = []

    class Capture(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            packet = RtpPacket.parse(data)
            if packet is not None:
                got.append((loop.time(), packet))

    transport, _ = await loop.create_datagram_endpoint(Capture, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    rtp = RtpSession(PCMA, 8, 101, ("127.0.0.1", port), lambda a: None, lambda k: None)
    pool = PortPool(42000, 42999)
    await pool.open("127.0.0.1", rtp)
    rtp.play(play)
    if key:
        rtp.send_dtmf(key)
    rtp.start()
    if stop_after is not None:
        await asyncio.sleep(stop_after)
        rtp.stop_playback()
        assert rtp.playback_pending_s() == 0
        seconds -= stop_after
    await asyncio.sleep(seconds)
    rtp.close()
    transport.close()
    return got


def test_sending_is_paced_at_20_ms_with_continuous_numbering() -> None:
    tone = (8000 * np.sin(np.arange(8000) / 8000 * 2 * np.pi * 440)).astype("<i2").tobytes()
    got = asyncio.run(_capture(1.0, tone[:8000]))  # 0.5 s of tone, then silence
    times = np.array([t for t, _ in got])
    gaps = np.diff(times) * 1000
    assert 45 <= len(got) <= 52
    assert 19.0 < float(np.mean(gaps)) < 21.0
    assert {
        (b.sequence - a.sequence) % 65536 for (_, a), (_, b) in zip(got, got[1:], strict=False)
    } == {1}
    assert {
        (b.timestamp - a.timestamp) % 2**32 for (_, a), (_, b) in zip(got, got[1:], strict=False)
    } == {160}
    assert got[0][1].marker and not any(p.marker for _, p in got[1:])
    loud = [p for _, p in got if p.payload != b"\xd5" * 160]
    assert 24 <= len(loud) <= 26  # 25 frames of tone; the rest is silence, still sent


def test_stop_playback_ends_the_sound_within_a_frame() -> None:
    tone = np.full(8000 * 2, 8000, dtype="<i2").tobytes()  # 2 s queued
    got = asyncio.run(_capture(0.6, tone, stop_after=0.3))
    loud_times = [t for t, p in got if p.payload != b"\xd5" * 160]
    quiet_after = [t for t, p in got if p.payload == b"\xd5" * 160]
    assert quiet_after and loud_times
    assert max(loud_times) < min(quiet_after) + 0.001  # no tone after the silence began
    assert 12 <= len(loud_times) <= 17  # ~0.3 s of tone: nothing queued ahead went out


def test_a_key_goes_out_as_rfc_4733_events() -> None:
    got = asyncio.run(_capture(0.3, b"", key="9"))
    events = [(p.timestamp, Event.parse(p.payload)) for _, p in got if p.payload_type == 101]
    assert len(events) == 7
    assert {ts for ts, _ in events} == {events[0][0]}  # one event: one timestamp
    assert [e.end for _, e in events if e] == [False] * 4 + [True] * 3
    audio = [p for _, p in got if p.payload_type == 8]
    assert audio and audio[0].timestamp - events[0][0] == 7 * 160  # time went on meanwhile
