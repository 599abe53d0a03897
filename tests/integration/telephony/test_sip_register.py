"""The bot registering as an extension (BOT_SIP_REGISTRAR): against sipp as a registrar
that demands a digest (401, qop=auth) and checks it, then the unregistration at
shutdown. Skipped when sipp is absent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.integration.telephony.sip_harness import (
    RecordingAcceptor,
    bot,
    free_port,
    need,
    run,
    scenario,
    sipp,
)

pytestmark = pytest.mark.integration


def test_registers_with_digest_and_unregisters(tmp_path: Path) -> None:
    need("sipp", "sip-tester")
    xml = scenario("uas_registrar.xml", tmp_path, user="bot", password="s3cret")
    registrar = free_port()
    bot_port = free_port()

    async def register() -> tuple[int, str, bool]:
        job = asyncio.ensure_future(sipp(xml, f"127.0.0.1:{bot_port}", timeout=30, port=registrar))
        await asyncio.sleep(0.5)  # sipp binds its port
        async with bot(
            RecordingAcceptor(),
            port=bot_port,
            registrar=f"sip:127.0.0.1:{registrar}",
            password="s3cret",
        ) as ua:
            registration = ua.registration  # type: ignore[attr-defined]
            await asyncio.wait_for(registration.registered.wait(), 10)
            registered = registration.registered.is_set()
        result = await job
        return result.returncode, result.output, registered

    rc, log, registered = run(register())  # type: ignore[misc]
    assert registered
    assert rc == 0, log  # the digest was right and the unregistration came
