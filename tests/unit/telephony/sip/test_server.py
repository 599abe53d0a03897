"""Starting the adapter the way bot/telephony/service.py does: run_sip(TelephonySettings,
acceptor) answers on the configured port until cancelled."""

from __future__ import annotations

import asyncio
import socket

import pytest

from bot.errors import BotError
from bot.telephony.config import TelephonySettings
from bot.telephony.service import start_telephony
from bot.telephony.sip.message import SipMessage
from tests.integration.telephony.sip_harness import RawSip, RecordingAcceptor, free_port, run


def test_start_telephony_serves_sip_on_the_configured_port() -> None:
    port = free_port()
    settings = TelephonySettings(sip_enabled=True, sip_port=port, sip_rtp_ports=(43000, 43100))

    async def go() -> tuple[SipMessage | None, bool]:
        running = await start_telephony(settings, RecordingAcceptor())
        raw = await RawSip.open()
        try:
            raw.send(
                f"OPTIONS sip:bot@127.0.0.1:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{raw.port};branch=z9hG4bKsrv;rport\r\n"
                "From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:bot@127.0.0.1>\r\n"
                "Call-ID: srv\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
                ("127.0.0.1", port),
            )
            reply = await raw.final("srv")
        finally:
            raw.close()
            await running.close()
        task = running.sip_task
        return reply, task is not None and task.done()

    reply, stopped = run(go(), timeout=20)  # type: ignore[misc]
    assert reply is not None and reply.status == 200
    assert stopped


def test_a_port_in_use_fails_at_start() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        settings = TelephonySettings(sip_enabled=True, sip_port=port)
        with pytest.raises(BotError, match="BOT_SIP_HOST/BOT_SIP_PORT"):
            asyncio.run(start_telephony(settings, RecordingAcceptor()))
