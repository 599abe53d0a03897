"""GET /dashboard: the manager dashboard page (its data comes from /api/dashboard/*).

The page itself is public (it shows the sign-in view until a manager or admin signs in);
every number behind it needs the role. Served with no-cache, like the other pages.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse

from bot.web.pages import mount_static, page


def dashboard_pages_router() -> APIRouter:
    router = APIRouter()

    @router.get("/dashboard", include_in_schema=False)
    async def dashboard_page() -> FileResponse:
        return page("dashboard.html")

    return router


def install_dashboard_page(app: FastAPI) -> None:
    mount_static(app)
    app.include_router(dashboard_pages_router())
