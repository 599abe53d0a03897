"""The call flow over a real AudioSocket connection (fake recognizer and synthesizer, real
dialog services and store), and the outcome lookup the Asterisk dialplan reads."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.store.base import Outcome
from bot.telephony.audiosocket import AUDIO, HANGUP, AudioSocketServer, CallOutcomes, outcome_router
from tests.unit.telephony.audiosocket_client import CALL, Client
from tests.unit.telephony.conftest import MakeHarness
from tests.unit.telephony.telephony_fakes import ANSWER, silence, tone, until


def test_a_call_over_audiosocket_is_answered_then_transferred_on_key_0(
    make_harness: MakeHarness,
) -> None:
    h = make_harness()
    outcomes = CallOutcomes()

    async def run() -> Client:
        server = await AudioSocketServer(h.bot, "127.0.0.1", 0, outcomes).start()
        try:
            client = await Client.connect(server.port)
            await until(lambda: len(client.audio_frames()) > 10)  # the greeting
            greeting = len(client.audio_frames())
            for i, pcm in enumerate([tone(0.6), silence(0.8)]):
                for j in range(0, len(pcm), 320):
                    client.send(AUDIO, pcm[j : j + 320])
                    await asyncio.sleep(0.02 if i == 0 else 0.0)
            await until(lambda: any(ANSWER in said for said in h.synth.said))
            await until(lambda: len(client.audio_frames()) > greeting + 10)
            client.key("0")
            await until(lambda: client.closed)
            return client
        finally:
            await server.close()

    client = asyncio.run(run())
    assert client.frames[-1].kind == HANGUP
    outcome = outcomes.get(str(CALL))
    assert outcome is not None and (outcome.action, outcome.target) == (
        "transfer", "sip:queue@10.0.0.5"
    )
    record = h.store.get_session(str(CALL))
    assert record is not None and record.outcome is Outcome.TRANSFERRED
    assert record.handover_summary["tried"] == ["SFZ001"]


def test_the_dialplan_reads_the_outcome_as_plain_text() -> None:
    outcomes = CallOutcomes()
    outcomes.set(str(CALL), "transfer", "sip:queue@10.0.0.5")
    app = FastAPI()
    app.include_router(outcome_router(outcomes))
    client = TestClient(app)
    action = client.get(f"/api/telephony/calls/{CALL}/action")
    assert (action.status_code, action.text) == (200, "transfer")
    assert action.headers["content-type"].startswith("text/plain")
    assert client.get(f"/api/telephony/calls/{str(CALL).upper()}").json() == {
        "call_id": str(CALL), "action": "transfer", "target": "sip:queue@10.0.0.5", "detail": "",
    }


def test_an_unknown_or_malformed_call_id_is_not_a_transfer_order() -> None:
    app = FastAPI()
    app.include_router(outcome_router(CallOutcomes()))
    client = TestClient(app)
    unknown = client.get("/api/telephony/calls/0b6e6a1c-3f4e-4d5a-9e6f-7a8b9c0d1e2f/action")
    assert unknown.status_code == 404 and unknown.text != "hangup"
    assert client.get("/api/telephony/calls/not-a-uuid").status_code == 422


def test_old_outcomes_are_forgotten() -> None:
    outcomes = CallOutcomes(keep=2)
    for n in range(3):
        outcomes.set(f"0000000{n}-0000-0000-0000-000000000000", "hangup")
    assert outcomes.get("00000000-0000-0000-0000-000000000000") is None
    assert outcomes.get("00000002-0000-0000-0000-000000000000") is not None
