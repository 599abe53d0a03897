"""/api/dashboard/*: the manager dashboard's JSON and file exports (roles manager and admin).

    app.include_router(dashboard_router(store, engine.entry))

Every endpoint takes since, until (YYYY-MM-DD, both included) and channel (see params.py);
a bad parameter is a 422 in the one JSON error shape with the field named. The endpoints
are plain `def`s: FastAPI runs them in its thread pool, so the store's blocking reads do
not hold up the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from bot.console.auth import User, require_role
from bot.console.errors import invalid, not_found
from bot.dashboard import export, views
from bot.dashboard.params import (
    CHANNEL_LABELS,
    DEFAULT_DAYS,
    FORMATS,
    GROUPS,
    ParamError,
    StaffingParams,
    parse_choice,
    parse_range,
    parse_staffing,
    parse_top,
)
from bot.dashboard.views import EntryLookup, StatsCache, View

ROLES = ("manager", "admin")


def dashboard_router(
    store: Any,
    entries: EntryLookup | None = None,
    *,
    today: Callable[[], date] = date.today,
    cache_ttl_s: float = 5.0,
) -> APIRouter:
    """`entries(faq_id)` gives the serving entry (for questions and categories), or None;
    `today` is the hotline's local date (replaceable in tests)."""
    router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])
    allowed = Depends(require_role(*ROLES))
    cache = StatsCache(store, cache_ttl_s)

    def build(name: str, query: Mapping[str, str]) -> View:
        try:
            rng = parse_range(query, today())
            if name == "summary":
                return views.summary(cache.get(rng, 10), rng)
            if name == "series":
                by = parse_choice(query, "by", GROUPS, "day")
                return views.series(store, rng, by, entries)
            if name == "top-faqs":
                return views.top_faqs(cache.get(rng, parse_top(query)), rng, entries)
            if name == "unanswered":
                return views.unanswered(cache.get(rng, parse_top(query)), rng)
            if name == "staffing":
                return views.staffing(store, rng, parse_staffing(query))
        except ParamError as err:
            raise invalid(err.field, err.message) from err
        allowed_views = "、".join(views.VIEWS)
        raise not_found(f"没有名为“{name[:40]}”的看板视图，可选：{allowed_views}")

    @router.get("/options")
    def options(user: User = allowed) -> dict[str, Any]:
        """What the page offers: channels, groupings, the default range and parameters."""
        rng = parse_range({}, today())
        defaults = StaffingParams()
        return {
            "user": user.to_dict(),
            "today": today().isoformat(),
            "default_days": DEFAULT_DAYS,
            "default_range": rng.to_dict(),
            "channels": [{"value": k, "label": v} for k, v in CHANNEL_LABELS.items()],
            "groups": list(GROUPS),
            "views": list(views.VIEWS),
            "formats": list(FORMATS),
            "staffing": {
                "aht_s": defaults.aht_s,
                "service_level": defaults.service_level,
                "answer_within_s": defaults.answer_within_s,
            },
        }

    @router.get("/summary")
    def summary(request: Request, _: User = allowed) -> dict[str, Any]:
        return build("summary", request.query_params).body

    @router.get("/series")
    def series(request: Request, _: User = allowed) -> dict[str, Any]:
        return build("series", request.query_params).body

    @router.get("/top-faqs")
    def top_faqs(request: Request, _: User = allowed) -> dict[str, Any]:
        return build("top-faqs", request.query_params).body

    @router.get("/unanswered")
    def unanswered(request: Request, _: User = allowed) -> dict[str, Any]:
        return build("unanswered", request.query_params).body

    @router.get("/staffing")
    def staffing(request: Request, _: User = allowed) -> dict[str, Any]:
        return build("staffing", request.query_params).body

    @router.get("/export/{view}")
    def export_view(view: str, request: Request, _: User = allowed) -> Response:
        query = request.query_params
        try:
            fmt = parse_choice(query, "format", FORMATS, "csv")
        except ParamError as err:
            raise invalid(err.field, err.message) from err
        built = build(view, query)
        content, media_type = export.render(built, fmt)
        return Response(
            content,
            media_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{_filename(built, fmt)}"',
                "Cache-Control": "no-store",
            },
        )

    return router


def _filename(view: View, fmt: str) -> str:
    since, until = view.body["since"], view.body["until"]
    channel = view.body.get("channel") or "citizens"
    return f"dashboard-{view.name}-{since}-{until}-{channel}.{fmt}"

