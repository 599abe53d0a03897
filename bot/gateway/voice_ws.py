"""The voice WebSocket, `/ws/voice`: a browser microphone or a telephony bridge streams audio
in and gets transcripts, replies and reply audio back. One VoiceSession per connection.

Client -> server (JSON text frames, plus binary audio frames after "start"):
  {"type": "start", "session_id": "..."?, "sample_rate": 16000,
   "encoding": "pcm16"|"opus" (or "format", the same; anything else is an error),
   "container": "webm"|"ogg"? (opus only), "greet": false, "reply_audio": "pcm16"|"wav"|"none"}
  binary: 16-bit little-endian mono PCM at sample_rate (8000/16000/22050/44100/48000), or
          consecutive pieces of one WebM/Ogg Opus stream; at most 1 MiB a frame
  {"type": "text", "text": "转人工"}   a typed turn or a pressed button
  {"type": "playback_done"}           the client finished playing the reply audio
  {"type": "ping"}                    -> {"type": "pong"}
  {"type": "stop"}                    end of the call
Server -> client:
  {"type": "started", "session_id", "sample_rate", "encoding", "engine"}
  {"type": "partial", "text"}, {"type": "final", "text", "confidence"}
  {"type": "reply", "text" (spoken), "full_text" (written, the SMS-style follow-up),
   "buttons", "decision", "messages", "follow_up", "faq_id", "outcome"}
  {"type": "audio", "format": "pcm16"|"wav", "sample_rate": 16000, "bytes", "duration_s"}
     immediately followed by ONE binary frame holding that audio
  {"type": "stop_playback"}  the caller spoke over the reply: stop playing it (barge-in)
  {"type": "error", "code", "message"}  bad input; the connection stays usable
  {"type": "stopped", "session_id", "outcome"}, then close code 1000
Close codes: 1000 after stop; 1008 after 20 protocol errors; 1011 when speech recognition
cannot start; 1013 when every call slot is busy (try again later).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from bot.errors import BotError, InputError
from bot.voice.events import (
    AudioEvent,
    ErrorEvent,
    FinalEvent,
    PartialEvent,
    ReplyEvent,
    StopPlaybackEvent,
    VoiceEvent,
)
from bot.voice.service import VoiceBusy, VoiceService
from bot.voice.session import VoiceSession
from bot.voice.stream_decode import PCM_RATES, OpusStream, PcmStream, open_stream
from bot.voice.wav import wav_bytes

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 1 << 20
MAX_TEXT_FRAME = 64 * 1024
MAX_TURN_CHARS = 500
MAX_ERRORS = 20
SESSION_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
REPLY_AUDIO = ("pcm16", "wav", "none")


def _event_message(event: VoiceEvent) -> dict[str, Any]:
    if isinstance(event, PartialEvent):
        return {"type": "partial", "text": event.text}
    if isinstance(event, FinalEvent):
        return {"type": "final", "text": event.text, "confidence": round(event.confidence, 3)}
    if isinstance(event, ReplyEvent):
        return {
            "type": "reply",
            "text": event.text,
            "full_text": event.full_text,
            "buttons": list(event.buttons),
            "decision": event.decision,
            "messages": list(event.messages),
            "follow_up": event.follow_up,
            "faq_id": event.faq_id,
            "outcome": event.outcome,
            "degraded": event.degraded,
        }
    if isinstance(event, StopPlaybackEvent):
        return {"type": "stop_playback"}
    if isinstance(event, ErrorEvent):
        return {"type": "error", "code": event.code, "message": event.message}
    raise TypeError(f"no message for {event!r}")  # AudioEvent is sent by _send_audio


class _Call:
    """One connection: the protocol state machine around a VoiceSession."""

    def __init__(self, ws: WebSocket, service: VoiceService) -> None:
        self.ws = ws
        self.service = service
        self.session: VoiceSession | None = None
        self.decoder: PcmStream | OpusStream | None = None
        self.encoding = "pcm16"
        self.container: str | None = None
        self.reply_audio = "pcm16"
        self.errors = 0

    async def error(self, code: str, message: str) -> bool:
        """Send an error; False once the client has made too many (then close 1008)."""
        self.errors += 1
        await self.ws.send_json({"type": "error", "code": code, "message": message})
        if self.errors >= MAX_ERRORS:
            await self.ws.close(code=1008, reason="too many protocol errors")
            return False
        return True

    async def send(self, event: VoiceEvent) -> None:
        if isinstance(event, AudioEvent):
            if self.reply_audio == "none":
                return
            pcm = event.audio.pcm
            payload = wav_bytes(pcm, event.audio.sample_rate) if self.reply_audio == "wav" else pcm
            await self.ws.send_json(
                {
                    "type": "audio",
                    "format": self.reply_audio,
                    "sample_rate": event.audio.sample_rate,
                    "bytes": len(payload),
                    "duration_s": round(event.audio.duration_s, 3),
                }
            )
            await self.ws.send_bytes(payload)
            return
        await self.ws.send_json(_event_message(event))

    async def run(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                ok = await self.on_audio(message["bytes"])
            else:
                ok = await self.on_text(message.get("text") or "")
            if not ok:
                return

    async def on_text(self, raw: str) -> bool:
        if len(raw) > MAX_TEXT_FRAME:
            return await self.error("frame_too_large", f"文本消息超过 {MAX_TEXT_FRAME} 字节")
        try:
            message = json.loads(raw)
        except ValueError:
            return await self.error("bad_json", "消息不是合法的 JSON")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return await self.error("bad_message", "消息必须是带 type 字段的 JSON 对象")
        kind = message["type"]
        handler = {
            "start": self.on_start,
            "stop": self.on_stop,
            "text": self.on_turn_text,
            "playback_done": self.on_playback_done,
            "ping": self.on_ping,
        }.get(kind)
        if handler is None:
            return await self.error(
                "unknown_type",
                f"未知的消息类型 {kind[:40]!r}；可用：start、text、playback_done、ping、stop",
            )
        return await handler(message)

    async def on_ping(self, _: dict[str, Any]) -> bool:
        await self.ws.send_json({"type": "pong"})
        return True

    async def on_start(self, message: dict[str, Any]) -> bool:
        if self.session is not None:
            return await self.error("already_started", "通话已开始；如需新通话请先发送 stop")
        sid = message.get("session_id") or uuid.uuid4().hex
        if not isinstance(sid, str) or not SESSION_ID.match(sid):
            return await self.error(
                "bad_session_id", "session_id 只能包含字母、数字和 _ . : -，长度 1-128"
            )
        rate = message.get("sample_rate", 16000)
        # "format" is what the audio frames call it, so clients send it too: same rules.
        encoding = message.get("encoding", message.get("format", "pcm16"))
        reply_audio = message.get("reply_audio", "pcm16")
        if "format" in message and message["format"] != encoding:
            return await self.error(
                "bad_encoding",
                f"format {str(message['format'])[:20]!r} 与 encoding {str(encoding)[:20]!r} "
                "不一致；只给 encoding 即可：pcm16 或 opus",
            )
        if encoding not in ("pcm16", "opus"):
            return await self.error(
                "bad_encoding", f"不支持的音频格式 {str(encoding)[:20]!r}；可用 pcm16 或 opus"
            )
        if encoding == "pcm16" and (isinstance(rate, bool) or rate not in PCM_RATES):
            return await self.error(
                "bad_sample_rate",
                f"不支持的采样率 {str(rate)[:20]}；可用 {'、'.join(map(str, PCM_RATES))}",
            )
        if reply_audio not in REPLY_AUDIO:
            return await self.error("bad_reply_audio", "reply_audio 只能是 pcm16、wav 或 none")
        container = message.get("container")
        try:
            self.decoder = open_stream(encoding, int(rate), container)
        except InputError:
            return await self.error("bad_container", "opus 的 container 只能是 webm 或 ogg")
        try:
            await self.service.ensure_ready()
            self.session = self.service.open_session(sid)
        except VoiceBusy:
            await self.ws.send_json(
                {"type": "error", "code": "busy", "message": "当前语音线路繁忙，请稍后再试。"}
            )
            await self.ws.close(code=1013, reason="all voice call slots are busy")
            return False
        except Exception:
            log.exception("speech recognition could not start")
            await self.ws.send_json(
                {
                    "type": "error",
                    "code": "asr_unavailable",
                    "message": "语音识别暂时无法使用，请稍后再试或使用文字客服。",
                }
            )
            await self.ws.close(code=1011, reason="speech recognition unavailable")
            return False
        self.encoding, self.container, self.reply_audio = encoding, container, reply_audio
        await self.ws.send_json(
            {
                "type": "started",
                "session_id": sid,
                "sample_rate": rate,
                "encoding": encoding,
                "engine": self.service.transcriber.name,
            }
        )
        if message.get("greet") is True:
            await self.relay(self.session.greet())
        return True

    async def on_audio(self, data: bytes) -> bool:
        if self.session is None or self.decoder is None:
            return await self.error("not_started", "请先发送 start 消息，再发送音频")
        if len(data) > MAX_FRAME_BYTES:
            return await self.error(
                "frame_too_large", f"音频帧 {len(data)} 字节，超过 1 MiB 上限；请分成更小的块发送"
            )
        try:
            pcm = await run_in_threadpool(self.decoder.feed, data)
        except InputError as err:
            log.info("undecodable audio in session %s: %s", self.session.session_id, err)
            self.decoder = open_stream(self.encoding, 16000, self.container)  # a fresh stream
            return await self.error("bad_audio", "音频无法解码：请从头发送完整的 WebM/Ogg Opus 流")
        if pcm:
            await self.relay(self.session.feed(pcm))
        return True

    async def on_turn_text(self, message: dict[str, Any]) -> bool:
        text = message.get("text")
        if self.session is None:
            return await self.error("not_started", "请先发送 start 消息")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TURN_CHARS:
            return await self.error("bad_text", f"text 必须是 1-{MAX_TURN_CHARS} 个字的文字")
        if self.session.playing:
            self.session.playback_done()
            await self.send(StopPlaybackEvent())
        await self.relay(self.session.say(text.strip()))
        return True

    async def on_playback_done(self, _: dict[str, Any]) -> bool:
        if self.session is not None:
            self.session.playback_done()
        return True

    async def on_stop(self, _: dict[str, Any]) -> bool:
        if self.session is None:
            return await self.error("not_started", "通话尚未开始")
        session = self.session
        if self.decoder is not None:
            try:
                rest = await run_in_threadpool(self.decoder.finish)
            except InputError:
                rest = b""
            if rest:
                await self.relay(session.feed(rest))
        await self.relay(session.finish())
        outcome = await self.end()
        await self.ws.send_json(
            {"type": "stopped", "session_id": session.session_id, "outcome": outcome}
        )
        await self.ws.close(code=1000)
        return False

    async def relay(self, events: Any) -> None:
        async for event in events:
            await self.send(event)

    async def end(self) -> str | None:
        """Close the call's slot and, if the caller said anything, its session in the log."""
        session, self.session = self.session, None
        if isinstance(self.decoder, OpusStream):
            self.decoder.close()
        self.decoder = None
        if session is None:
            return None
        self.service.close_session(session)
        if session.turns == 0:
            return None
        try:
            return str(await self.service.conversation.end(session.session_id))
        except Exception:  # noqa: BLE001 - a hang-up must not fail on the store
            log.exception("could not close session %s", session.session_id)
            return None


def voice_router(service: VoiceService) -> APIRouter:
    router = APIRouter()

    @router.websocket("/ws/voice")
    async def voice(ws: WebSocket) -> None:
        await ws.accept()
        call = _Call(ws, service)
        try:
            await call.run()
        except WebSocketDisconnect:
            pass
        except BotError as err:
            log.warning("voice call ended by an error: %s", err)
        except Exception:  # a send to a client that just went away, or a bug: end the call
            log.exception("voice call failed")
            try:
                await ws.close(code=1011)
            except Exception:  # noqa: BLE001 - already closed
                pass
        finally:
            await call.end()

    return router
