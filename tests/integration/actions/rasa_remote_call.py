"""Run by the rasa environment's python (.venv-rasa), not by pytest: call the action server
through rasa 3.6's own RemoteAction and print what rasa made of the answer, as JSON.

usage: rasa_remote_call.py WEBHOOK_URL DOMAIN_FILE ACTION TEXT
"""

import asyncio
import json
import sys

from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig


async def main(url: str, domain_file: str, action: str, text: str) -> None:
    domain = Domain.load(domain_file)
    tracker = DialogueStateTracker.from_events(
        "rasa-remote-1",
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered(
                text, {"name": "ask_question", "confidence": 0.9}, metadata={"channel": "voice"}
            ),
        ],
        slots=domain.slots,
    )
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    remote = RemoteAction(action, EndpointConfig(url))
    events = await remote.run(CollectingOutputChannel(), nlg, tracker, domain)
    for event in events:
        tracker.update(event, domain)
    bots = [e for e in events if e.type_name == "bot"]
    print(
        json.dumps(
            {
                "texts": [e.text for e in bots],
                "customs": [e.data.get("custom") for e in bots],
                "slots": {
                    name: tracker.get_slot(name)
                    for name in ("dialog_state", "faq_answered", "faq_candidates", "faq_query")
                },
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
