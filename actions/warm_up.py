"""`action_warm_up`: called once by `bot serve` when the action server is up, so the FAQ
engine (the e5 model and the index) loads before the first citizen's question rather than
during it. Not a dialog action: it is not in domain.yml and rasa never predicts it.
Sanic runs the actions in a worker process, so the warm-up must happen there, over HTTP."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services

NAME = "action_warm_up"


class ActionWarmUp(Action):
    def name(self) -> str:
        return NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        import asyncio

        await asyncio.to_thread(services.warm_up)
        return []
