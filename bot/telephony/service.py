"""Starting the configured telephony adapters (AudioSocket, SIP) around one CallAcceptor.

    telephony = TelephonySettings.load(settings)
    bot = CallBot(voice_service, telephony)          # bot/telephony/flow.py
    await asyncio.to_thread(bot.warm_up)             # models and prompts, before calls come
    running = await start_telephony(telephony, bot, outcomes)   # raises if a port is taken
    ...
    await running.close()

or `await run_telephony(telephony, bot)`, which serves until cancelled. `outcomes` is the
registry the gateway's `outcome_router` reads (the AudioSocket transfer signal).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot.errors import BotError
from bot.telephony.audiosocket import AudioSocketServer, CallOutcomes
from bot.telephony.call import CallAcceptor
from bot.telephony.config import TelephonySettings

log = logging.getLogger(__name__)


class Telephony:
    """The adapters started by `start_telephony`."""

    def __init__(self) -> None:
        self.audiosocket: AudioSocketServer | None = None
        self.sip_task: asyncio.Task[None] | None = None

    async def wait(self) -> None:
        """Until cancelled, or until the SIP adapter fails (its error is raised)."""
        if self.sip_task is not None:
            await self.sip_task
        else:
            await asyncio.Event().wait()

    async def close(self) -> None:
        if self.sip_task is not None and not self.sip_task.done():
            self.sip_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sip_task
        if self.audiosocket is not None:
            await self.audiosocket.close()


async def start_telephony(
    settings: TelephonySettings,
    acceptor: CallAcceptor,
    outcomes: CallOutcomes | None = None,
    *,
    sip_start_s: float = 0.5,
) -> Telephony:
    running = Telephony()
    if not settings.any_enabled:
        log.info("telephony: no adapter enabled (BOT_SIP_ENABLED, BOT_AUDIOSOCKET_ENABLED)")
        return running
    if settings.audiosocket_enabled:
        server = AudioSocketServer(
            acceptor, settings.audiosocket_host, settings.audiosocket_port, outcomes
        )
        running.audiosocket = await server.start()
    if settings.sip_enabled:
        run_sip = _run_sip()
        running.sip_task = asyncio.create_task(run_sip(settings, acceptor), name="sip")
        # A bind error comes at once: report it at start, not on the first call.
        done, _ = await asyncio.wait({running.sip_task}, timeout=sip_start_s)
        if done:
            await running.close()
            error = running.sip_task.exception()
            raise BotError(
                f"the SIP adapter stopped at start on {settings.sip_host}:{settings.sip_port}: "
                f"{error or 'it returned'}; check BOT_SIP_HOST/BOT_SIP_PORT"
            ) from error
        log.info("SIP adapter on udp %s:%d", settings.sip_host, settings.sip_port)
    return running


async def run_telephony(
    settings: TelephonySettings, acceptor: CallAcceptor, outcomes: CallOutcomes | None = None
) -> None:
    """Serve the configured adapters until cancelled; returns at once when none is."""
    running = await start_telephony(settings, acceptor, outcomes)
    if running.audiosocket is None and running.sip_task is None:
        return
    try:
        await running.wait()
    finally:
        await running.close()


def _run_sip() -> Any:
    try:
        from bot.telephony.sip.server import run_sip
    except ImportError as err:
        raise BotError(
            f"BOT_SIP_ENABLED=true but the SIP adapter cannot be imported ({err}); "
            "set BOT_SIP_ENABLED=false or install the full bot"
        ) from err
    return run_sip
