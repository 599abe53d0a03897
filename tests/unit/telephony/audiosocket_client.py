"""A client of our own that speaks AudioSocket the way Asterisk's AudioSocket() does."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.telephony.audiosocket import AUDIO, DTMF, HANGUP, UUID, encode_frame

CALL = uuid.UUID("40325ec2-5efd-4bd3-805f-53576e581d13")


@dataclass
class Received:
    kind: int
    payload: bytes
    at: float


@dataclass
class Client:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    frames: list[Received] = field(default_factory=list)
    closed: bool = False
    _task: Any = None

    @classmethod
    async def connect(cls, port: int, call: uuid.UUID | None = CALL) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        if call is not None:
            client.send(UUID, call.bytes)
        client._task = asyncio.create_task(client._read())
        return client

    def send(self, kind: int, payload: bytes = b"") -> None:
        self.writer.write(encode_frame(kind, payload))

    def raw(self, data: bytes) -> None:
        self.writer.write(data)

    def audio(self, pcm: bytes) -> None:
        for i in range(0, len(pcm), 320):
            self.send(AUDIO, pcm[i : i + 320])

    def key(self, digit: str) -> None:
        self.send(DTMF, digit.encode())

    async def _read(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(3)
                length = int.from_bytes(header[1:], "big")
                payload = await self.reader.readexactly(length) if length else b""
                self.frames.append(Received(header[0], payload, time.monotonic()))
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed = True

    def audio_frames(self) -> list[Received]:
        return [f for f in self.frames if f.kind == AUDIO]

    def hung_up(self) -> bool:
        return any(f.kind == HANGUP for f in self.frames)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass
        if self._task is not None:
            await asyncio.wait([self._task], timeout=2)
