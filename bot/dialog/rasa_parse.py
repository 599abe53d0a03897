"""Parse messages with a trained rasa model. Runs INSIDE .venv-rasa only, as a script:

    .venv-rasa/bin/python bot/dialog/rasa_parse.py REQUEST.json RESULT.json

REQUEST.json: {"model": "build/rasa/hotline.tar.gz", "texts": ["...", ...]}
RESULT.json:  {"load_s": float, "results": [{"text", "intent", "confidence",
               "ranking": [[intent, confidence], ...], "ms"}, ...]}

The application never imports this module (it would need rasa); bot.dialog.rasa_cli runs it
as a subprocess. Rasa is imported inside main() so that even an accidental import is cheap.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any


async def _parse_all(model: str, texts: list[str]) -> dict[str, Any]:
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(model)
    load_s = time.perf_counter() - started
    # The first parse builds the TensorFlow graph; keep it out of the per-message timing.
    await agent.parse_message("你好")
    results = []
    for text in texts:
        t0 = time.perf_counter()
        parsed = await agent.parse_message(text)
        ms = (time.perf_counter() - t0) * 1000.0
        intent = parsed.get("intent") or {}
        ranking = [
            [item.get("name"), float(item.get("confidence") or 0.0)]
            for item in parsed.get("intent_ranking") or []
        ]
        results.append(
            {
                "text": text,
                "intent": intent.get("name"),
                "confidence": float(intent.get("confidence") or 0.0),
                "ranking": ranking[:5],
                "ms": ms,
            }
        )
    return {"load_s": load_s, "results": results}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: rasa_parse.py REQUEST.json RESULT.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        request = json.load(handle)
    output = asyncio.run(_parse_all(str(request["model"]), [str(t) for t in request["texts"]]))
    with open(argv[1], "w", encoding="utf-8") as handle:
        json.dump(output, handle, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
