"""The gateway: the bot's HTTP face (chat API, health). Built by `create_app` with its
dependencies injected, so tests run it in-process with fakes or the real parts."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from bot.gateway.conversation import ConversationService
from bot.gateway.rasa_client import RasaClient
from bot.settings import Settings
from bot.store.base import Channel, Store

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
# Accept far more than a citizen types so the bot can answer "too long" politely instead
# of failing; anything beyond this is rejected outright as not a chat message.
MAX_BODY_TEXT = 100_000


class ChatRequest(BaseModel):
    text: str = Field(max_length=MAX_BODY_TEXT)
    session_id: str | None = None
    channel: Channel = Channel.CHAT
    asr_confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class ApiError(HTTPException):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code=status_code, detail=message)
        self.code = code


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one JSON error shape of every endpoint."""
    return {"error": {"code": code, "message": message}}


def _session_id(raw: str | None) -> str:
    if raw is None:
        return uuid.uuid4().hex
    if not SESSION_ID.match(raw):
        raise ApiError(422, "invalid_session_id",
                       "session_id 只能包含字母、数字和 _ . : -，长度 1-128")
    return raw


def create_app(
    settings: Settings,
    conversation: ConversationService,
    store: Store,
    engine: Any,
    rasa: RasaClient | None,
) -> FastAPI:
    app = FastAPI(title="海川市 12345 热线智能客服", version="0.1.0")
    # Parts added after this (the voice channel): name -> a cheap probe returning a part's
    # status dict, reported by /health beside the built-in ones.
    app.state.health_parts = {}

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = getattr(exc, "code", None) or {404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = tuple(first.get("loc", ()))
        where = ".".join(str(p) for p in loc if p != "body")
        if first.get("type") == "json_invalid":
            # loc is ("body", 0-based character offset of the decode error)
            at = f"（第 {loc[-1] + 1} 个字符附近）" if loc and isinstance(loc[-1], int) else ""
            message = f"请求体不是有效的 JSON{at}"
        elif loc == ("body",):  # empty, or JSON that is not an object
            message = '请求体应为 JSON 对象，例如 {"text": "社保卡丢了怎么补办"}'
        else:
            message = f"请求格式不正确：{where} {first.get('msg', '')}".strip()
        return JSONResponse(error_body("invalid_request", message), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the gateway")
        return JSONResponse(
            error_body("internal_error", "系统暂时出现问题，请稍后再试或拨打 12345 转人工。"),
            status_code=500,
        )

    @app.get("/health")
    async def health() -> dict[str, Any]:
        parts: dict[str, Any] = {"gateway": {"status": "ok"}}
        try:
            # The action server answers through rasa and swaps in a newly published version
            # on its own; the gateway's copy is swapped here too, so health reports what
            # is served, not what was loaded at start.
            reload = getattr(engine, "reload_if_changed", None)
            if reload is not None:
                await run_in_threadpool(reload)
            version = engine.version
            parts["faq_index"] = {"status": "ok" if version else "down", "version": version}
        except Exception as err:  # noqa: BLE001 - health reports, never raises
            parts["faq_index"] = {"status": "down", "error": str(err)[:200]}
        try:
            await run_in_threadpool(store.get_session, "health-probe")
            parts["store"] = {"status": "ok"}
        except Exception as err:  # noqa: BLE001
            parts["store"] = {"status": "down", "error": str(err)[:200]}
        if rasa is None:
            parts["rasa"] = {"status": "disabled"}
        else:
            parts["rasa"] = await rasa.status()
        parts["actions"] = await _actions_status(settings)
        for name, probe in app.state.health_parts.items():
            try:
                parts[name] = probe()
            except Exception as err:  # noqa: BLE001 - health reports, never raises
                parts[name] = {"status": "down", "error": str(err)[:200]}
        healthy = all(p["status"] in ("ok", "disabled") for p in parts.values())
        return {"status": "ok" if healthy else "degraded", "parts": parts}

    @app.post("/api/chat")
    async def chat(body: ChatRequest) -> dict[str, Any]:
        session_id = _session_id(body.session_id)
        reply = await conversation.handle(
            session_id, body.text, body.channel, body.asr_confidence
        )
        return reply.to_dict()

    @app.post("/api/sessions/{session_id}/end")
    async def end_session(session_id: str) -> dict[str, Any]:
        session_id = _session_id(session_id)
        if await run_in_threadpool(store.get_session, session_id) is None:
            raise ApiError(404, "unknown_session", f"会话 {session_id} 不存在")
        outcome = await conversation.end(session_id)
        return {"session_id": session_id, "outcome": outcome}

    @app.get("/api/sessions/{session_id}")
    async def get_session(session_id: str) -> dict[str, Any]:
        session_id = _session_id(session_id)
        record = await run_in_threadpool(store.get_session, session_id)
        if record is None:
            raise ApiError(404, "unknown_session", f"会话 {session_id} 不存在")
        return {
            "session_id": record.session_id,
            "channel": record.channel.value,
            "started_at": record.started_at.isoformat(),
            "ended_at": record.ended_at.isoformat() if record.ended_at else None,
            "outcome": record.outcome.value if record.outcome else None,
            "confirmed": record.confirmed,
            "reason": record.reason.value if record.reason else None,
            "faq_id": record.faq_id,
            "handover_summary": record.handover_summary,
        }

    return app


async def _actions_status(settings: Settings) -> dict[str, Any]:
    url = f"http://127.0.0.1:{settings.actions_port}/health"
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            response = await client.get(url)
            response.raise_for_status()
        return {"status": "ok"}
    except httpx.HTTPError as err:
        return {"status": "down", "error": str(err)[:200]}
