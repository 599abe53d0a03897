"""Rank FAQ responses with a trained rasa ResponseSelector. Runs INSIDE .venv-rasa only:

    .venv-rasa/bin/python bench/rasa_response_selector.py MODEL.tar.gz REQUEST.json RESULT.jsonl

REQUEST.json: {"texts": ["...", ...], "retrieval_intent": "faq"}
RESULT.jsonl: one JSON object per text, in order: {"text", "intent", "intent_confidence",
              "ranking": [[response_key, confidence], ...] (best first, e.g. "faq/D001"), "ms"};
              the first line is {"load_s": float} (model load time).

bench/bench_faq.py runs it as a subprocess; the application never imports it (it needs rasa).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any


async def _rank_all(model: str, texts: list[str], retrieval_intent: str) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(model)
    out: list[dict[str, Any]] = [{"load_s": time.perf_counter() - started}]
    # The first parse builds the TensorFlow graph; keep it out of the per-message timing.
    await agent.parse_message("你好")
    for text in texts:
        t0 = time.perf_counter()
        parsed = await agent.parse_message(text)
        ms = (time.perf_counter() - t0) * 1000.0
        selector = (parsed.get("response_selector") or {}).get(retrieval_intent) or {}
        ranking = [
            [str(item.get("intent_response_key")), float(item.get("confidence") or 0.0)]
            for item in selector.get("ranking") or []
        ]
        intent = parsed.get("intent") or {}
        out.append({
            "text": text,
            "intent": intent.get("name"),
            "intent_confidence": float(intent.get("confidence") or 0.0),
            "ranking": ranking,
            "ms": ms,
        })
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: rasa_response_selector.py MODEL.tar.gz REQUEST.json RESULT.jsonl",
              file=sys.stderr)
        return 2
    model, request_path, result_path = argv
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    texts = [str(t) for t in request["texts"]]
    rows = asyncio.run(_rank_all(model, texts, str(request.get("retrieval_intent", "faq"))))
    with open(result_path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
