"""The knowledge-editor console page (/console): one HTML shell; the views are ES modules
under bot/web/static/console/ and talk to /api/console/* (bot/console).

    app.include_router(console_pages_router(app))   # also mounts /static once
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse

from bot.web.pages import mount_static, page


def console_pages_router(app: FastAPI | None = None) -> APIRouter:
    """GET /console; with `app`, also the shared /static mount the page loads from."""
    if app is not None:
        mount_static(app)
    router = APIRouter()

    @router.get("/console", include_in_schema=False)
    async def console_page() -> FileResponse:
        # The page itself is public: it is only a shell; every datum is behind the API's
        # sign-in, and an unsigned visitor sees the login view.
        return page("console.html")

    return router
