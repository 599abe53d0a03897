"""The AudioSocket server against a client of our own: frames in and out, 20 ms pacing,
barge-in, transfer signalling, and bad input (unknown or wrong-rate types, truncated and
oversized frames, audio before the UUID, silence, abrupt disconnects): each a clear log
line and a closed call, never a crash, other calls unaffected."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.telephony import audiosocket
from bot.telephony.audiosocket import (
    AUDIO,
    ERROR,
    HANGUP,
    AudioSocketError,
    AudioSocketServer,
    CallOutcomes,
    encode_frame,
)
from tests.unit.telephony.audiosocket_client import CALL, Client
from tests.unit.telephony.telephony_fakes import until

OTHER = "0b6e6a1c-3f4e-4d5a-9e6f-7a8b9c0d1e2f"


@dataclass
class Recorder:
    control: Any
    audio: bytearray = field(default_factory=bytearray)
    keys: list[str] = field(default_factory=list)
    hangups: list[str] = field(default_factory=list)

    async def on_audio(self, pcm: bytes) -> None:
        self.audio += pcm

    async def on_dtmf(self, digit: str) -> None:
        self.keys.append(digit)

    async def on_hangup(self, reason: str) -> None:
        self.hangups.append(reason)


class Acceptor:
    def __init__(self, greeting_s: float = 0.0, fail: bool = False) -> None:
        self.greeting_s = greeting_s
        self.fail = fail
        self.calls: dict[str, Recorder] = {}

    async def accept(self, control: Any) -> Recorder:
        if self.fail:
            raise RuntimeError("the bot broke")
        recorder = Recorder(control)
        self.calls[control.call_id] = recorder
        if self.greeting_s:
            control.play(b"\x10\x00" * int(8000 * self.greeting_s))
        return recorder


def serve(test: Callable[[AudioSocketServer, Acceptor], Awaitable[None]],
          acceptor: Acceptor | None = None, **kw: Any) -> None:
    async def run() -> None:
        acc = acceptor or Acceptor()
        server = await AudioSocketServer(acc, "127.0.0.1", 0, **kw).start()
        try:
            await test(server, acc)
        finally:
            await server.close()

    asyncio.run(run())


def test_audio_and_keys_reach_the_handler_and_hang_up_ends_it() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        client.audio(b"\x01\x02" * 480)  # 60 ms
        client.key("5")
        client.key("#")
        client.send(HANGUP)
        await until(lambda: bool(acc.calls) and bool(acc.calls[str(CALL)].hangups))
        call = acc.calls[str(CALL)]
        assert bytes(call.audio) == b"\x01\x02" * 480
        assert call.keys == ["5", "#"] and call.hangups == ["caller_bye"]
        await client.close()

    serve(test)


def test_reply_audio_goes_out_in_20_ms_frames_paced_in_real_time() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        await until(lambda: len(client.audio_frames()) >= 25, 3.0)
        frames = client.audio_frames()[:25]
        assert {len(f.payload) for f in frames} == {320}
        gaps = [b.at - a.at for a, b in zip(frames, frames[1:], strict=False)]
        assert 0.015 <= statistics.median(gaps) <= 0.025
        assert 0.40 <= frames[-1].at - frames[0].at <= 0.60  # 24 gaps of 20 ms
        await client.close()

    serve(test, Acceptor(greeting_s=0.5))


def test_stop_playback_stops_the_frames_within_60_ms() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        await until(lambda: len(client.audio_frames()) >= 5)
        control = acc.calls[str(CALL)].control
        control.stop_playback()
        stopped = len(client.audio_frames())
        await asyncio.sleep(0.3)
        assert len(client.audio_frames()) - stopped <= 3
        assert control.playback_pending_s() == 0.0
        await client.close()

    serve(test, Acceptor(greeting_s=2.0))


def test_a_transfer_sends_the_hang_up_frame_and_records_the_outcome() -> None:
    outcomes = CallOutcomes()

    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        await until(lambda: str(CALL) in acc.calls)
        assert await acc.calls[str(CALL)].control.transfer("sip:queue@10.0.0.5") is True
        await until(lambda: client.closed)
        assert client.frames[-1].kind == HANGUP
        outcome = outcomes.get(str(CALL).upper())
        assert outcome is not None and (outcome.action, outcome.target) == (
            "transfer", "sip:queue@10.0.0.5"
        )
        await until(lambda: acc.calls[str(CALL)].hangups == ["transferred"])

    serve(test, outcomes=outcomes)


def test_an_unknown_frame_type_is_skipped() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        client.send(0x05, b"??")
        client.audio(b"\x07\x00" * 160)
        await until(lambda: str(CALL) in acc.calls and len(acc.calls[str(CALL)].audio) == 320)
        assert not acc.calls[str(CALL)].hangups
        await client.close()

    serve(test)


def test_audio_at_another_rate_ends_the_call_with_a_clear_error() -> None:
    outcomes = CallOutcomes()

    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        client.send(0x12, b"\x00\x00" * 320)  # slin16 from the channel driver
        await until(lambda: client.closed)
        assert client.hung_up()  # the dialplan goes on (to the agents)
        assert acc.calls[str(CALL)].hangups == ["error"]
        outcome = outcomes.get(str(CALL))
        assert outcome is not None and outcome.action == "error"
        assert "0x12 is not 8 kHz signed linear" in outcome.detail

    serve(test, outcomes=outcomes)


def test_a_truncated_frame_ends_that_call_and_the_server_takes_the_next() -> None:
    outcomes = CallOutcomes()

    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        client.raw(bytes((AUDIO,)) + (320).to_bytes(2, "big") + b"\x00" * 100)
        await asyncio.sleep(0.05)
        await client.close()
        await until(lambda: str(CALL) in acc.calls and bool(acc.calls[str(CALL)].hangups))
        assert acc.calls[str(CALL)].hangups == ["error"]
        outcome = outcomes.get(str(CALL))
        assert outcome is not None and "100 of 320 payload bytes" in outcome.detail
        again = await Client.connect(server.port, audiosocket.uuid.UUID(OTHER))
        again.audio(b"\x01\x00" * 160)
        await until(lambda: OTHER in acc.calls and len(acc.calls[OTHER].audio) == 320)
        await again.close()

    serve(test, outcomes=outcomes)


def test_an_oversized_length_is_refused_before_reading_it() -> None:
    outcomes = CallOutcomes()

    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        client.raw(bytes((AUDIO,)) + (60000).to_bytes(2, "big"))
        await until(lambda: client.closed)
        outcome = outcomes.get(str(CALL))
        assert outcome is not None and "60000 bytes, over the 8192-byte limit" in outcome.detail

    serve(test, outcomes=outcomes)


def test_audio_before_the_uuid_is_refused() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port, call=None)
        client.audio(b"\x00\x00" * 160)
        await until(lambda: client.closed)
        assert client.hung_up() and acc.calls == {}

    serve(test)


def test_a_uuid_of_the_wrong_size_is_refused() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port, call=None)
        client.send(0x01, b"short")
        await until(lambda: client.closed)
        assert acc.calls == {}

    serve(test)


def test_a_connection_that_never_says_its_uuid_is_closed(monkeypatch: Any) -> None:
    monkeypatch.setattr(audiosocket, "UUID_TIMEOUT_S", 0.2)

    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port, call=None)
        await until(lambda: client.closed, 2.0)
        assert acc.calls == {}

    serve(test)


def test_an_abrupt_disconnect_ends_only_that_call() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        first = await Client.connect(server.port)
        second = await Client.connect(server.port, audiosocket.uuid.UUID(OTHER))
        await until(lambda: len(acc.calls) == 2)
        first.writer.transport.abort()  # no hang-up frame, no FIN handshake
        await until(lambda: bool(acc.calls[str(CALL)].hangups))
        assert acc.calls[str(CALL)].hangups == ["caller_bye"]
        before = len(second.audio_frames())
        await asyncio.sleep(0.2)
        assert len(second.audio_frames()) > before  # still being played to
        assert acc.calls[OTHER].hangups == []
        await second.close()

    serve(test, Acceptor(greeting_s=3.0))


def test_asterisk_error_frame_for_a_caller_hang_up() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        client.send(ERROR, b"\x01")
        await until(lambda: str(CALL) in acc.calls and bool(acc.calls[str(CALL)].hangups))
        assert acc.calls[str(CALL)].hangups == ["caller_bye"]
        await client.close()

    serve(test)


def test_a_silent_connection_times_out() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        await until(lambda: client.closed, 3.0)
        assert client.hung_up() and acc.calls[str(CALL)].hangups == ["rtp_timeout"]

    serve(test, media_timeout_s=0.3)


def test_a_failing_bot_closes_the_call_and_the_server_lives_on() -> None:
    acceptor = Acceptor(fail=True)

    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        await until(lambda: client.closed)
        assert client.hung_up()
        acc.fail = False
        again = await Client.connect(server.port, audiosocket.uuid.UUID(OTHER))
        await until(lambda: OTHER in acc.calls)
        await again.close()

    serve(test, acceptor)


def test_connections_over_the_cap_are_hung_up_at_once() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        first = await Client.connect(server.port)
        await until(lambda: str(CALL) in acc.calls)
        second = await Client.connect(server.port, audiosocket.uuid.UUID(OTHER))
        await until(lambda: second.closed)
        assert second.hung_up() and OTHER not in acc.calls
        await first.close()

    serve(test, max_connections=1)


def test_a_bad_dtmf_payload_is_ignored() -> None:
    async def test(server: AudioSocketServer, acc: Acceptor) -> None:
        client = await Client.connect(server.port)
        client.send(0x03, b"x")
        client.send(0x03, b"12")
        client.key("9")
        await until(lambda: str(CALL) in acc.calls and bool(acc.calls[str(CALL)].keys))
        assert acc.calls[str(CALL)].keys == ["9"]
        await client.close()

    serve(test)


def test_encode_frame_refuses_a_payload_over_the_16_bit_length() -> None:
    with pytest.raises(AudioSocketError, match="70000 bytes"):
        encode_frame(AUDIO, b"\x00" * 70000)


def test_the_port_in_use_is_a_clear_error() -> None:
    async def run() -> None:
        first = await AudioSocketServer(Acceptor(), "127.0.0.1", 0).start()
        try:
            with pytest.raises(Exception, match="BOT_AUDIOSOCKET_PORT"):
                await AudioSocketServer(Acceptor(), "127.0.0.1", first.port).start()
        finally:
            await first.close()

    asyncio.run(run())


def test_shutdown_ends_live_calls_and_waits_for_their_hang_up() -> None:
    async def run() -> None:
        acc = Acceptor()
        server = await AudioSocketServer(acc, "127.0.0.1", 0).start()
        client = await Client.connect(server.port)
        client.audio(b"\x01\x02" * 160)
        await until(lambda: bool(acc.calls) and bool(acc.calls[str(CALL)].audio))
        await server.close()  # the handler's hang-up ran before close() returned
        call = acc.calls[str(CALL)]
        assert call.hangups == ["shutdown"]
        outcome = server.outcomes.get(str(CALL))
        assert outcome is not None and outcome.action == "error"  # the dialplan transfers
        assert "shutting down" in outcome.detail
        await until(lambda: client.closed)
        assert client.hung_up()
        await client.close()

    asyncio.run(run())
