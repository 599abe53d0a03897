"""Wiring the real gateway: FAQ service, store and rasa client from the settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.gateway.app import create_app
from bot.gateway.chat_ws import ChatHub
from bot.gateway.conversation import ConversationService
from bot.gateway.rasa_client import RasaClient
from bot.settings import Settings
from bot.store.base import Store

if TYPE_CHECKING:
    from bot.console.context import Console
    from bot.engine.service import FaqService
    from bot.telephony.service import Telephony
    from bot.voice.service import VoiceService

log = logging.getLogger(__name__)


def build_gateway(settings: Settings, with_rasa: bool = True) -> FastAPI:
    from bot.engine.service import FaqService
    from bot.store.sql import SqlStore

    engine = FaqService.from_settings(settings).load()
    store = SqlStore.from_settings(settings)
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_s) if with_rasa else None
    conversation = ConversationService(rasa, engine, store, settings.max_message_chars)
    app = create_app(settings, conversation, store, engine, rasa)
    voice = _add_voice_and_pages(app, settings, conversation, store)
    chat_hub = _add_chat(app, conversation)
    console = _add_console_and_dashboard(app, settings, store, engine)
    start_phones = _add_telephony(app, settings, voice, store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        phones = await start_phones()
        yield
        if phones is not None:
            await phones.close()
        chat_hub.draining = True
        await chat_hub.close_all()
        console.close()
        if rasa is not None:
            await rasa.close()

    app.router.lifespan_context = lifespan
    return app


def _add_voice_and_pages(
    app: FastAPI, settings: Settings, conversation: ConversationService, store: Store
) -> VoiceService:
    """The voice WebSocket (/ws/voice) and the pages; the ASR model loads on the first call."""
    from bot.gateway.voice_ws import voice_router
    from bot.voice.config import VoiceSettings
    from bot.voice.factory import make_transcriber
    from bot.voice.service import VoiceService
    from bot.voice.tts import EspeakSynthesizer
    from bot.web.pages import install_pages

    transcriber = make_transcriber(VoiceSettings.load(settings), settings.kb_dir)
    voice = VoiceService(conversation, transcriber, EspeakSynthesizer(), store)
    app.include_router(voice_router(voice))
    app.state.health_parts["voice"] = voice.status
    install_pages(app)
    return voice


def _add_chat(app: FastAPI, conversation: ConversationService) -> ChatHub:
    """The citizen chat: WebSocket /ws/chat (REST /api/chat is create_app's) and /chat."""
    from bot.gateway.chat_ws import chat_router
    from bot.web.chat_pages import install_chat_pages

    hub = ChatHub()
    app.include_router(chat_router(conversation, hub))
    install_chat_pages(app)
    return hub


def _add_console_and_dashboard(
    app: FastAPI, settings: Settings, store: Store, engine: FaqService
) -> Console:
    """The editors' console (/console, /api/console/*) and the managers' dashboard
    (/dashboard, /api/dashboard/*); the dashboard signs in through the console's auth."""
    from bot.console.api import install_console
    from bot.dashboard.api import dashboard_router
    from bot.web.console_pages import console_pages_router
    from bot.web.dashboard_pages import install_dashboard_page

    console = install_console(app, settings, store, engine)
    app.include_router(console_pages_router(app))
    app.include_router(dashboard_router(store, engine.entry))
    install_dashboard_page(app)
    return console


def _add_telephony(
    app: FastAPI, settings: Settings, voice: VoiceService, store: Store
) -> Callable[[], Awaitable[Telephony | None]]:
    """Phone calls (SIP, Asterisk AudioSocket) run inside the gateway process: they share its
    conversation and voice services, and the transfer outcomes Asterisk's dialplan reads
    (GET /api/telephony/calls/{uuid}/action) are kept in its memory. Returns the coroutine
    the lifespan awaits at start; nothing starts unless an adapter is enabled."""
    from bot.telephony.config import TelephonySettings

    phone_settings = TelephonySettings.load(settings)
    if not phone_settings.any_enabled:
        async def disabled() -> Telephony | None:
            return None
        return disabled

    import asyncio

    from bot.telephony.audiosocket import CallOutcomes, outcome_router
    from bot.telephony.flow import CallBot
    from bot.telephony.service import start_telephony

    outcomes = CallOutcomes()
    app.include_router(outcome_router(outcomes))
    bot = CallBot(voice, phone_settings, store)

    async def start() -> Telephony | None:
        # The recogniser and the fixed prompts load before the first call, not during it;
        # a port already taken fails the start here, naming the key.
        await asyncio.to_thread(bot.warm_up)
        return await start_telephony(phone_settings, bot, outcomes)

    return start


def app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory bot.gateway.factory:app_from_env`."""
    return build_gateway(Settings.load())
