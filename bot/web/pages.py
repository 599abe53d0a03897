"""Browser pages served by the gateway, and the one static mount they share.

`mount_static(app)` serves bot/web/static at /static (idempotent, so every page's router
can ask for it); `pages_router()` serves the pages themselves. The chat page of another
issue lives in the same folder and uses the same mount.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/static"
STATIC_NAME = "static"


def mount_static(app: FastAPI) -> None:
    """Serve bot/web/static at /static once, however many routers ask for it."""
    if any(getattr(route, "name", None) == STATIC_NAME for route in app.routes):
        return
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name=STATIC_NAME)


def page(name: str) -> FileResponse:
    # no-cache: a deployer who updates the bot must not have citizens run yesterday's script
    return FileResponse(
        STATIC_DIR / name,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def pages_router() -> APIRouter:
    router = APIRouter()

    @router.get("/voice", include_in_schema=False)
    async def voice_page() -> FileResponse:
        return page("voice.html")

    return router


def install_pages(app: FastAPI) -> None:
    """Both at once: what create_app/build_gateway calls."""
    mount_static(app)
    app.include_router(pages_router())
