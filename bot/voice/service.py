"""What every voice channel shares: one transcriber model (loaded once, on first use or by
`warm_up`), one synthesizer, the conversation service, and a cap on concurrent calls.
Each call gets its own StreamingRecognizer and VoiceSession from `open_session`."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from bot.errors import BotError
from bot.store.base import Channel, Store
from bot.voice.base import Synthesizer, Transcriber
from bot.voice.session import VoiceSession
from bot.voice.speech_text import DEFAULT_MAX_CHARS

log = logging.getLogger(__name__)


class VoiceBusy(BotError):
    """Every call slot is taken."""


class VoiceService:
    def __init__(
        self,
        conversation: Any,  # ConversationService
        transcriber: Transcriber,
        synthesizer: Synthesizer | None,
        store: Store | None = None,
        *,
        max_calls: int = 8,
        speech_max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if max_calls < 1:
            raise BotError(f"max_calls {max_calls} must be at least 1")
        self.conversation = conversation
        self.transcriber = transcriber
        self.synthesizer = synthesizer
        self.store = store
        self.max_calls = max_calls
        self.speech_max_chars = speech_max_chars
        self.active_calls = 0
        self._load_lock = threading.Lock()
        self._loaded = False
        self.load_error: str | None = None  # why the last warm_up failed (health shows it)

    def status(self) -> dict[str, Any]:
        """For /health: never loads anything (the model loads on the first call, or at start
        when telephony is on); a failed load is reported until one succeeds."""
        if self.load_error is not None:
            return {"status": "down", "error": self.load_error[:200]}
        part: dict[str, Any] = {"status": "ok", "engine": self.transcriber.name,
                                "loaded": self._loaded, "calls": self.active_calls}
        lm = getattr(self.transcriber, "lm_status", None)
        if self._loaded and lm:
            part["lm"] = lm
        return part

    def warm_up(self) -> None:
        """Load the transcriber model and check the synthesizer; idempotent, thread-safe."""
        with self._load_lock:
            if self._loaded:
                return
            try:
                self.transcriber.load()
                load = getattr(self.synthesizer, "load", None)
                if callable(load):
                    load()
            except Exception as err:
                self.load_error = f"{type(err).__name__}: {err}"
                raise
            self._loaded = True
            self.load_error = None
            log.info(
                "voice ready: transcriber %s, synthesizer %s",
                self.transcriber.name,
                getattr(self.synthesizer, "name", None),
            )

    async def ensure_ready(self) -> None:
        if not self._loaded:
            await asyncio.to_thread(self.warm_up)

    def open_session(
        self, session_id: str, channel: Channel = Channel.VOICE, paced: bool = False
    ) -> VoiceSession:
        """A new call; `close_session` must follow (the WebSocket route does it)."""
        if self.active_calls >= self.max_calls:
            raise VoiceBusy(f"all {self.max_calls} voice call slots are busy")
        session = VoiceSession(
            session_id,
            self.transcriber.stream(),
            self.conversation,
            self.synthesizer,
            channel=channel,
            store=self.store,
            speech_max_chars=self.speech_max_chars,
            paced=paced,
        )
        self.active_calls += 1
        return session

    def close_session(self, session: VoiceSession) -> None:
        self.active_calls = max(0, self.active_calls - 1)
