"""Replaying a file of real citizen messages through the running bot, one session each.

Each message opens a new session on the gateway (channel `replay`). When the bot answers by
asking for a work order's details, the replay plays a citizen who already said everything
in the message: the description is the message, the place is the message's detail column
(when given), and no phone is left. The session is then ended as the citizen leaving, and
its recorded outcome is read back from the store through the gateway.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import httpx
import numpy as np

FOLLOW_UPS = {"wo_what": None, "wo_where": "具体位置见留言内容", "wo_phone": "不留"}
MAX_FOLLOW_UPS = 4


@dataclass(frozen=True)
class ReplayRow:
    row: int
    input: str
    session_id: str
    intent: str
    decision: str
    outcome: str
    reason: str
    faq_id: str
    score: float | None
    latency_ms: float
    turns: int
    reply: str
    error: str = ""


COLUMNS = tuple(f.name for f in fields(ReplayRow))


async def _one(
    client: httpx.AsyncClient, number: int, text: str, detail: str, run_id: str
) -> ReplayRow:
    sid = f"replay-{run_id}-{number}"
    started = time.perf_counter()
    try:
        response = await client.post("/api/chat", json={"text": text, "session_id": sid,
                                                         "channel": "replay"})
        response.raise_for_status()
        first = response.json()
        latency = (time.perf_counter() - started) * 1000
        decision = first["decision"]
        turns, reply = 1, first
        while reply.get("awaiting") in FOLLOW_UPS and turns <= MAX_FOLLOW_UPS:
            slot = reply["awaiting"]
            answer = FOLLOW_UPS[slot] or text
            if slot == "wo_where" and detail:
                answer = detail[:300]
            response = await client.post("/api/chat", json={"text": answer, "session_id": sid,
                                                             "channel": "replay"})
            response.raise_for_status()
            reply, turns = response.json(), turns + 1
        if reply.get("decision") == "work_order":
            decision = "work_order"
        await client.post(f"/api/sessions/{sid}/end")
        session = (await client.get(f"/api/sessions/{sid}")).json()
        top = (first.get("candidates") or [{}])[0]
        return ReplayRow(
            row=number, input=text, session_id=sid, intent=first.get("intent") or "",
            decision=decision, outcome=session.get("outcome") or "",
            reason=session.get("reason") or "",
            faq_id=first.get("faq_id") or top.get("faq_id", ""), score=top.get("score"),
            latency_ms=round(latency, 1), turns=turns,
            reply=" / ".join(m["text"] for m in first.get("messages", []))[:300],
        )
    except (httpx.HTTPError, ValueError, KeyError) as err:
        return ReplayRow(number, text, sid, "", "error", "", "", "", None,
                         round((time.perf_counter() - started) * 1000, 1), 0, "", str(err)[:200])


async def replay(
    base_url: str,
    texts: list[str],
    details: list[str] | None = None,
    concurrency: int = 4,
    progress: Callable[[], None] | None = None,
    timeout_s: float = 60.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[ReplayRow]:
    """`transport` replaces the network (tests pass an in-process ASGI app's)."""
    run_id = uuid.uuid4().hex[:8]
    semaphore = asyncio.Semaphore(max(1, concurrency))
    details = details or [""] * len(texts)

    async with httpx.AsyncClient(
        base_url=base_url, timeout=timeout_s, transport=transport
    ) as client:
        async def guarded(i: int) -> ReplayRow:
            async with semaphore:
                row = await _one(client, i + 1, texts[i], details[i], run_id)
            if progress:
                progress()
            return row

        return list(await asyncio.gather(*(guarded(i) for i in range(len(texts)))))


def summarize(rows: list[ReplayRow]) -> dict[str, Any]:
    ok = [r for r in rows if not r.error]
    latencies = np.array([r.latency_ms for r in ok]) if ok else np.zeros(1)
    n = max(1, len(ok))
    outcomes = Counter(r.outcome for r in ok)
    return {
        "rows": len(rows),
        "errors": len(rows) - len(ok),
        "outcomes": dict(outcomes.most_common()),
        "outcome_shares": {k: round(v / n, 3) for k, v in outcomes.most_common()},
        "decisions": dict(Counter(r.decision for r in ok).most_common()),
        "intents": dict(Counter(r.intent for r in ok).most_common()),
        "transfer_reasons": dict(Counter(r.reason for r in ok if r.reason).most_common()),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1),
    }


def row_dicts(rows: list[ReplayRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
