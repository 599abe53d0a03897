"""Asterisk AudioSocket adapter: a TCP server the dialplan's AudioSocket() connects to.

Frames: 1-byte type, 2-byte big-endian payload length, payload. From Asterisk: 0x01 the
call's 16-byte UUID (first), 0x10 16-bit little-endian 8 kHz mono audio, 0x03 one DTMF
key as ASCII (Asterisk 20+), 0x00 hang-up, 0xff error (payload: Asterisk's code; 0x01 is
the caller hanging up). To Asterisk: 0x10 audio, paced here in 20 ms frames (Asterisk
writes each frame to the channel as it comes, so whatever we queue is what the caller
hears), and 0x00 to end the application. Asterisk treats any other type from us as an
error and hangs the caller up, so errors are never sent back, only logged.

Transfer: AudioSocket has no way to set a channel variable, so the bot records the
outcome under the call's UUID (`CallOutcomes`), then sends the hang-up frame; the
AudioSocket() application returns normally and the dialplan continues: it reads the
outcome with CURL() from GET /api/telephony/calls/{uuid}/action ("transfer", "hangup" or
"error") and goes to the agent queue unless it says "hangup" (docs/telephony.md). A call
the bot cannot take (a bad stream, the bot failing) thus ends with the agents too.

Header and payload go out in one write: Asterisk reads the payload with a 5 ms poll after
the header and drops the call if it is late.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.errors import BotError
from bot.telephony.call import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, CallAcceptor, CallHandler

log = logging.getLogger(__name__)

HANGUP, UUID, DTMF, AUDIO, ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF
OTHER_RATES = range(0x11, 0x19)  # slin12 ... slin192, sent by the AudioSocket channel driver
DTMF_KEYS = "0123456789*#ABCD"
MAX_PAYLOAD = 8192  # 0.5 s of 8 kHz audio; Asterisk sends 320-byte (20 ms) frames
UUID_TIMEOUT_S = 5.0
MAX_UNKNOWN_FRAMES = 50
WRITE_BUFFER_LIMIT = 64 * 1024  # ~2 s of audio not taken by the peer: it is gone


class AudioSocketError(BotError):
    """The peer broke the AudioSocket protocol."""


@dataclass(frozen=True)
class Frame:
    kind: int
    payload: bytes


def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    if not 0 <= kind <= 0xFF or len(payload) > 0xFFFF:
        raise AudioSocketError(f"cannot frame type {kind} with {len(payload)} bytes")
    return bytes((kind,)) + len(payload).to_bytes(2, "big") + payload


async def read_frame(reader: asyncio.StreamReader) -> Frame | None:
    """The next frame; None when the peer closed between frames."""
    try:
        header = await reader.readexactly(3)
    except asyncio.IncompleteReadError as err:
        if not err.partial:
            return None
        raise AudioSocketError(
            f"connection closed inside a frame header ({len(err.partial)} of 3 bytes)"
        ) from err
    kind, length = header[0], int.from_bytes(header[1:3], "big")
    if length > MAX_PAYLOAD:
        raise AudioSocketError(
            f"frame type 0x{kind:02x} declares {length} bytes, over the {MAX_PAYLOAD}-byte "
            "limit (Asterisk sends 320-byte audio frames)"
        )
    try:
        payload = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as err:
        raise AudioSocketError(
            f"connection closed inside a frame of type 0x{kind:02x}: "
            f"{len(err.partial)} of {length} payload bytes"
        ) from err
    return Frame(kind, payload)


@dataclass(frozen=True)
class CallOutcome:
    call_id: str
    action: str  # active, transfer, hangup, error
    target: str = ""
    detail: str = ""
    at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "action": self.action, "target": self.target,
                "detail": self.detail}


class CallOutcomes:
    """What became of each recent call, for the dialplan to read after AudioSocket()."""

    def __init__(self, keep: int = 10_000, keep_s: float = 3600.0) -> None:
        self.keep, self.keep_s = keep, keep_s
        self._items: OrderedDict[str, CallOutcome] = OrderedDict()

    def set(self, call_id: str, action: str, target: str = "", detail: str = "") -> None:
        now = time.monotonic()
        self._items.pop(call_id, None)
        self._items[call_id] = CallOutcome(call_id, action, target, detail[:300], now)
        while self._items and (
            len(self._items) > self.keep or next(iter(self._items.values())).at < now - self.keep_s
        ):
            self._items.popitem(last=False)

    def get(self, call_id: str) -> CallOutcome | None:
        return self._items.get(canonical_uuid(call_id) or call_id)


def canonical_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        return None


class AudioSocketCall:
    """CallControl for one AudioSocket connection."""

    def __init__(self, call_id: str, writer: asyncio.StreamWriter, outcomes: CallOutcomes) -> None:
        self.call_id = call_id
        self.caller = ""  # AudioSocket carries no caller id; the dialplan knows it
        self._writer = writer
        self._outcomes = outcomes
        self._queue = bytearray()
        self._wake = asyncio.Event()
        self.closed = False
        self.transferred = False
        self.frames_sent = 0
        self._pacer = asyncio.create_task(self._pace(), name=f"audiosocket-out-{call_id}")

    def play(self, pcm: bytes) -> None:
        if not self.closed:
            self._queue += pcm
            self._wake.set()

    def stop_playback(self) -> None:
        self._queue.clear()

    def playback_pending_s(self) -> float:
        return len(self._queue) / 2 / SAMPLE_RATE

    async def transfer(self, target: str) -> bool:
        if self.closed:
            return False
        self._outcomes.set(self.call_id, "transfer", target)
        self.transferred = True
        await self.close(send_hangup=True)
        return True

    async def hangup(self) -> None:
        if not self.closed:
            self._outcomes.set(self.call_id, "hangup")
            await self.close(send_hangup=True)

    async def close(self, send_hangup: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        self._wake.set()
        self._pacer.cancel()
        try:
            if send_hangup:
                self._writer.write(encode_frame(HANGUP))
                await asyncio.wait_for(self._writer.drain(), 2.0)
            self._writer.close()
        except (ConnectionError, TimeoutError, RuntimeError) as err:
            log.info("audiosocket %s: closing: %s", self.call_id, err)

    async def _pace(self) -> None:
        """One 20 ms frame per tick of the monotonic clock while audio is queued."""
        loop = asyncio.get_running_loop()
        step = FRAME_MS / 1000
        due: float | None = None
        while not self.closed:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                due = None
                continue
            now = loop.time()
            if due is None or now - due > 5 * step:
                due = now  # a fresh reply, or the loop stalled: restart, never burst
            elif due > now:
                await asyncio.sleep(due - now)
                if self.closed or not self._queue:
                    continue  # stopped (barge-in) while waiting
            frame = bytes(self._queue[:FRAME_BYTES]).ljust(FRAME_BYTES, b"\x00")
            del self._queue[:FRAME_BYTES]
            try:
                self._writer.write(encode_frame(AUDIO, frame))
                if self._writer.transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
                    await asyncio.wait_for(self._writer.drain(), 1.0)
            except (ConnectionError, TimeoutError, RuntimeError) as err:
                log.warning("audiosocket %s: peer not taking audio (%s); closing",
                            self.call_id, err)
                self._outcomes.set(self.call_id, "error", detail=f"peer not taking audio: {err}")
                await self.close()
                return
            self.frames_sent += 1
            due += step


class AudioSocketServer:
    def __init__(
        self,
        acceptor: CallAcceptor,
        host: str = "127.0.0.1",
        port: int = 9092,
        outcomes: CallOutcomes | None = None,
        *,
        media_timeout_s: float = 10.0,
        max_connections: int = 64,
    ) -> None:
        self.acceptor = acceptor
        self.host, self.port = host, port
        self.outcomes = outcomes if outcomes is not None else CallOutcomes()
        self.media_timeout_s = media_timeout_s
        self.max_connections = max_connections
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._calls: dict[str, AudioSocketCall] = {}  # live calls, ended by close()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    async def start(self) -> AudioSocketServer:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as err:
            raise BotError(
                f"AudioSocket server cannot listen on {self.host}:{self.port}: {err}; set "
                "BOT_AUDIOSOCKET_HOST/BOT_AUDIOSOCKET_PORT to a free address"
            ) from err
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("AudioSocket server listening on %s:%d", self.host, self.port)
        return self

    async def close(self, timeout_s: float = 5.0) -> None:
        """Stop listening, end the live calls (the dialplan reads `error` and sends each
        caller to the agents) and wait for their sessions to be closed in the store."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for call in list(self._calls.values()):
            self.outcomes.set(call.call_id, "error", detail="the bot is shutting down")
            await call.close(send_hangup=True)
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                log.warning("audiosocket: a call did not end within %.0f s of shutdown",
                            timeout_s)
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.connections >= self.max_connections:
            log.warning("audiosocket: %d connections open; refusing %s", self.connections, peer)
            writer.write(encode_frame(HANGUP))
            writer.close()
            return
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._call(reader, writer, peer)
        except Exception:  # noqa: BLE001 - one broken call must not take the server down
            log.exception("audiosocket: connection from %s failed", peer)
        finally:
            self.connections -= 1
            if task is not None:
                self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _call(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Any
    ) -> None:
        try:
            first = await asyncio.wait_for(read_frame(reader), UUID_TIMEOUT_S)
        except (AudioSocketError, TimeoutError) as err:
            log.error("audiosocket %s: no UUID frame: %s", peer, err or "timed out")
            return
        if first is None:
            return
        if first.kind != UUID or len(first.payload) != 16:
            log.error("audiosocket %s: the first frame must be the 16-byte UUID (type 0x01); "
                      "got type 0x%02x with %d bytes", peer, first.kind, len(first.payload))
            writer.write(encode_frame(HANGUP))
            return
        call_id = str(uuid.UUID(bytes=first.payload))
        self.outcomes.set(call_id, "active")
        call = AudioSocketCall(call_id, writer, self.outcomes)
        if self._closing:
            self.outcomes.set(call_id, "error", detail="the bot is shutting down")
            await call.close(send_hangup=True)
            return
        self._calls[call_id] = call
        handler: CallHandler | None = None
        reason = "error"
        try:
            handler = await self.acceptor.accept(call)
            reason = await self._media(reader, call, handler)
        except AudioSocketError as err:
            log.error("audiosocket %s: %s; ending the call", call_id, err)
            self.outcomes.set(call_id, "error", detail=str(err))
        except TimeoutError:
            log.warning("audiosocket %s: no frame for %.0f s; ending the call",
                        call_id, self.media_timeout_s)
            reason = "rtp_timeout"
            self.outcomes.set(call_id, "error", detail="no media")
        except ConnectionError as err:
            log.info("audiosocket %s: connection lost: %s", call_id, err)
            reason = "caller_bye"
        except Exception as err:  # noqa: BLE001 - the bot failed: the dialplan takes over
            log.exception("audiosocket %s: the bot failed on this call", call_id)
            self.outcomes.set(call_id, "error", detail=f"bot failure: {err}")
        finally:
            self._calls.pop(call_id, None)
            if call.transferred:
                reason = "transferred"
            elif self._closing:
                reason = "shutdown"
            current = self.outcomes.get(call_id)
            if current is not None and current.action == "active":
                action = "hangup" if reason == "caller_bye" else "error"
                self.outcomes.set(call_id, action, detail=f"call ended: {reason}")
            await call.close(send_hangup=not call.closed and reason in ("error", "rtp_timeout"))
            if handler is not None:
                try:
                    await handler.on_hangup(reason)
                except Exception:  # noqa: BLE001
                    log.exception("audiosocket %s: the call handler failed on hang-up", call_id)

    async def _media(
        self, reader: asyncio.StreamReader, call: AudioSocketCall, handler: CallHandler
    ) -> str:
        """Feed frames to the handler until the call ends; returns the hang-up reason."""
        unknown = 0
        while not call.closed:
            frame = await asyncio.wait_for(read_frame(reader), self.media_timeout_s)
            if frame is None:
                return "transferred" if call.transferred else "caller_bye"
            if frame.kind == AUDIO:
                if frame.payload:
                    await handler.on_audio(frame.payload)
            elif frame.kind == DTMF:
                key = frame.payload[:1].decode("ascii", "replace").upper()
                if len(frame.payload) != 1 or key not in DTMF_KEYS:
                    log.warning("audiosocket %s: DTMF frame %r is no key; ignored",
                                call.call_id, frame.payload[:8])
                else:
                    await handler.on_dtmf(key)
            elif frame.kind == HANGUP:
                return "caller_bye"
            elif frame.kind == ERROR:
                code = frame.payload[0] if frame.payload else 0
                log.info("audiosocket %s: Asterisk error frame, code 0x%02x", call.call_id, code)
                return "caller_bye" if code == 0x01 else "error"
            elif frame.kind in OTHER_RATES:
                raise AudioSocketError(
                    f"audio frame type 0x{frame.kind:02x} is not 8 kHz signed linear (0x10): "
                    "use the AudioSocket() dialplan application, or a channel driver set to slin"
                )
            elif frame.kind == UUID:
                log.warning("audiosocket %s: a second UUID frame; ignored", call.call_id)
            else:
                unknown += 1
                log.warning("audiosocket %s: unknown frame type 0x%02x (%d bytes) skipped",
                            call.call_id, frame.kind, len(frame.payload))
                if unknown > MAX_UNKNOWN_FRAMES:
                    raise AudioSocketError(f"over {MAX_UNKNOWN_FRAMES} frames of unknown types")
        return "transferred" if call.transferred else "error"


def outcome_router(outcomes: CallOutcomes) -> Any:
    """GET /api/telephony/calls/{uuid} (JSON) and .../action (plain text for the dialplan's
    CURL()). The gateway includes it beside the AudioSocket server that fills `outcomes`."""
    from fastapi import APIRouter, HTTPException
    from fastapi.responses import PlainTextResponse

    router = APIRouter()

    def find(call_id: str) -> CallOutcome:
        if canonical_uuid(call_id) is None:
            raise HTTPException(422, f"call id {call_id[:60]!r} is not a UUID")
        outcome = outcomes.get(call_id)
        if outcome is None:
            raise HTTPException(404, f"no AudioSocket call {call_id} in the last hour")
        return outcome

    @router.get("/api/telephony/calls/{call_id}")
    async def get_call(call_id: str) -> dict[str, Any]:
        return find(call_id).to_dict()

    @router.get("/api/telephony/calls/{call_id}/action", response_class=PlainTextResponse)
    async def get_action(call_id: str) -> str:
        return find(call_id).action

    return router
