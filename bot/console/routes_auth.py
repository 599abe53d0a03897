"""POST /api/console/login, POST /api/console/logout, GET /api/console/me."""

# No `from __future__ import annotations`: FastAPI must see the Depends(...) of closure
# variables in the signatures, which postponed (string) annotations would hide.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.console.auth import COOKIE, User, current_user
from bot.console.signin import Authenticator


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def auth_router(auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api/console", tags=["console"])

    @router.post("/login")
    async def login(body: LoginRequest, request: Request, response: Response) -> dict[str, Any]:
        client = request.client.host if request.client else ""
        session = await run_in_threadpool(
            auth.login, body.username.strip(), body.password, client
        )
        mode = auth.settings.cookie_secure
        secure = mode == "true" or (mode == "auto" and request.url.scheme == "https")
        response.set_cookie(
            COOKIE, session.token, httponly=True, samesite="strict", path="/", secure=secure,
            max_age=int(auth.settings.session_max_h * 3600),
        )
        return {"user": session.user.to_dict(), "expires_at": session.expires_at.isoformat()}

    @router.post("/logout")
    async def logout(request: Request, response: Response) -> dict[str, Any]:
        token = request.cookies.get(COOKIE)
        if token:
            await run_in_threadpool(auth.logout, token)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return {"ok": True}

    @router.get("/me")
    def me(user: Annotated[User, Depends(current_user)]) -> dict[str, Any]:
        return {"user": user.to_dict()}

    return router
