"""Start the SIP adapter: `await run_sip(options, acceptor)` serves until cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from bot.telephony.call import CallAcceptor
from bot.telephony.sip.options import SipOptions
from bot.telephony.sip.register import Registration
from bot.telephony.sip.ua import UserAgent

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def sip_agent(options: SipOptions, acceptor: CallAcceptor) -> AsyncIterator[UserAgent]:
    """A started user agent (and its registration, when a registrar is set); closed after."""
    ua = UserAgent(options, acceptor)
    await ua.start()
    registration = None
    task = None
    if options.registrar:
        registration = Registration(ua, options.registrar, options.register_expires)
        task = asyncio.get_running_loop().create_task(registration.run())
    ua.registration = registration
    try:
        yield ua
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await ua.close()


async def run_sip(settings: SipOptions | Any, acceptor: CallAcceptor) -> None:
    """Serve SIP until cancelled. `settings` is SipOptions or the TelephonySettings of
    bot/telephony/config.py (its sip_* attributes are read)."""
    options = settings if isinstance(settings, SipOptions) else SipOptions.from_telephony(settings)
    async with sip_agent(options, acceptor):
        await asyncio.Event().wait()
