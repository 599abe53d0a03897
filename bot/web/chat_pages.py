"""The citizen chat page, GET /chat (also the page the embeddable widget frames, as
/chat?embed=1), and its static files under the shared /static mount (chat.js, chat.css,
widget.js)."""

from __future__ import annotations

import re

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse

from bot.web.pages import mount_static, page

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")


def content_security_policy(host: str | None) -> str:
    """Only the page's own files may run: even if an answer's markup slipped into the DOM
    it could not load or execute anything. The socket is named by host because older
    browsers do not let 'self' cover ws: URLs."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'"
    )


def chat_pages_router() -> APIRouter:
    router = APIRouter()

    @router.get("/chat", include_in_schema=False)
    async def chat_page(request: Request) -> FileResponse:
        response = page("chat.html")
        response.headers["Content-Security-Policy"] = content_security_policy(
            request.headers.get("host"))
        return response

    return router


def install_chat_pages(app: FastAPI) -> None:
    """The page and the static mount it needs (the mount is shared and added once)."""
    mount_static(app)
    app.include_router(chat_pages_router())
