"""start_telephony / run_telephony: the configured adapters start, a bind error is clear at
start, nothing starts when nothing is enabled."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.errors import BotError
from bot.telephony import service
from bot.telephony.config import TelephonySettings
from bot.telephony.service import run_telephony, start_telephony


class NoCalls:
    async def accept(self, control: Any) -> Any:
        raise AssertionError("no call expected")


def test_nothing_enabled_returns_at_once() -> None:
    asyncio.run(asyncio.wait_for(run_telephony(TelephonySettings(), NoCalls()), 2))


def test_the_audiosocket_server_listens_until_closed() -> None:
    async def run() -> None:
        settings = TelephonySettings(audiosocket_enabled=True, audiosocket_port=0)
        running = await start_telephony(settings, NoCalls())
        assert running.audiosocket is not None
        _, writer = await asyncio.open_connection("127.0.0.1", running.audiosocket.port)
        writer.close()
        await running.close()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", running.audiosocket.port)

    asyncio.run(run())


def test_a_sip_adapter_failing_at_start_is_a_clear_error(monkeypatch: Any) -> None:
    async def failing(settings: Any, acceptor: Any) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(service, "_run_sip", lambda: failing)
    settings = TelephonySettings(sip_enabled=True)
    with pytest.raises(BotError, match=r"127.0.0.1:5070: .*Address already in use.*BOT_SIP_PORT"):
        asyncio.run(start_telephony(settings, NoCalls()))


def test_a_running_sip_adapter_is_cancelled_on_close(monkeypatch: Any) -> None:
    seen: list[str] = []

    async def forever(settings: Any, acceptor: Any) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            seen.append("stopped")

    monkeypatch.setattr(service, "_run_sip", lambda: forever)

    async def run() -> None:
        running = await start_telephony(TelephonySettings(sip_enabled=True), NoCalls(),
                                        sip_start_s=0.05)
        assert running.sip_task is not None and not running.sip_task.done()
        await running.close()

    asyncio.run(run())
    assert seen == ["stopped"]
