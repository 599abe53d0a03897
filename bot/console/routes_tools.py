"""Duplicate check, "try it", import (preview, apply) and export."""

# No `from __future__ import annotations`: FastAPI must see the Depends(...) of closure
# variables in the signatures, which postponed (string) annotations would hide.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bot.console.auth import User, require_permission
from bot.console.context import Console
from bot.console.errors import invalid, too_large
from bot.console.exports import export_bytes
from bot.console.routes_entries import draft_entry
from bot.console.schemas import EntryBody, TryBody
from bot.kb.model import COLUMNS

DRAFT_ID = "（草稿）"  # the id a brand-new draft is tried under
_CHUNK = 1024 * 1024


def tools_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/api/console", tags=["console"])
    trier = require_permission("entries.try")
    importer = require_permission("import")
    exporter = require_permission("export")
    limit = console.console_settings.max_upload_bytes

    @router.post("/check")
    def check(body: EntryBody, _: Annotated[User, Depends(trier)]) -> dict[str, Any]:
        draft = draft_entry(body, body.faq_id) if body.faq_id else _new_draft(body)
        return console.similarity.check(draft)

    @router.post("/try")
    def try_it(body: TryBody, _: Annotated[User, Depends(trier)]) -> dict[str, Any]:
        text = body.text.strip()
        if not text:
            raise invalid("text", "请输入要试问的问题")
        draft = None
        if body.entry is not None:
            draft = draft_entry(body.entry, body.entry.faq_id) if body.entry.faq_id \
                else _new_draft(body.entry)
        return console.similarity.try_text(text, draft)

    @router.post("/import/preview")
    async def preview(request: Request, user: Annotated[User, Depends(importer)]
                      ) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
            raise too_large(limit)
        form = await request.form(max_files=1, max_fields=len(COLUMNS) + 4)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid("file", "没有收到文件：请用表单字段 file 上传 .xlsx 或 .csv")
        data = await _read_limited(upload, limit)
        if not data:
            raise invalid("file", "文件是空的")
        mapping: dict[str, str | None] = {}
        for key, value in form.items():
            if key.startswith("mapping_") and isinstance(value, str):
                mapping[key.removeprefix("mapping_")] = value.strip() or None
        return await run_in_threadpool(
            console.importer.preview, data, upload.filename or "upload.csv", mapping,
            user.username,
        )

    @router.post("/import/{token}/apply")
    def apply(token: str, user: Annotated[User, Depends(importer)],
              submit: bool = Query(False)) -> dict[str, Any]:
        return console.importer.apply(token, user.username, submit)

    @router.get("/export")
    def export(
        _: Annotated[User, Depends(exporter)],
        format: str = Query("csv", max_length=10),  # noqa: A002 - the contract's name
        status: str = Query("", max_length=20),
    ) -> Response:
        content, media = export_bytes(console.entries.query, format, status)
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        name = f"faq-{status or 'all'}-{stamp}.{format}"
        return Response(content, media_type=media,
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    return router


def _new_draft(body: EntryBody) -> Any:
    return draft_entry(body.model_copy(update={"faq_id": None}), DRAFT_ID)


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
