"""The seam between telephony adapters (SIP, AudioSocket) and the call flow.

Adapters know signalling and media; the flow knows speech, dialog and the store.
Neither imports the other: an adapter is given a ``CallAcceptor`` at start and
calls ``accept`` once per answered call with its own ``CallControl``.
"""

from __future__ import annotations

from typing import Protocol

SAMPLE_RATE = 8000  # telephony audio is 16-bit little-endian mono PCM at 8 kHz
FRAME_MS = 20  # 160 samples = 320 bytes per frame
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * 2

HANGUP_REASONS = ("caller_bye", "rtp_timeout", "cancel", "error", "transferred")


class CallControl(Protocol):
    """What the flow may do to one call; implemented by each adapter, one per call."""

    call_id: str  # SIP Call-ID / AudioSocket UUID
    caller: str  # caller number or URI as received (the store masks it)

    def play(self, pcm: bytes) -> None:
        """Queue 8 kHz PCM; the adapter paces it out in 20 ms frames."""
        ...

    def stop_playback(self) -> None:
        """Drop everything queued (barge-in); at most ~60 ms still goes out."""
        ...

    def playback_pending_s(self) -> float:
        """Seconds of audio still queued."""
        ...

    async def transfer(self, target: str) -> bool:
        """SIP: REFER to target, True on 2xx/NOTIFY 200; AudioSocket: signal + hang up."""
        ...

    async def hangup(self) -> None: ...


class CallHandler(Protocol):
    """What the adapter feeds; implemented by the bot (bot/telephony/flow.py), one per call."""

    async def on_audio(self, pcm: bytes) -> None:
        """Incoming caller audio, 8 kHz PCM, any length (usually 20 ms)."""
        ...

    async def on_dtmf(self, digit: str) -> None:
        """One key: "0"-"9", "*", "#", "A"-"D"."""
        ...

    async def on_hangup(self, reason: str) -> None:
        """Called once: "caller_bye" | "rtp_timeout" | "cancel" | "error" | "transferred"."""
        ...


class CallAcceptor(Protocol):
    """What an adapter is given at start."""

    async def accept(self, control: CallControl) -> CallHandler:
        """Called once the call is answered (after 200 OK/ACK)."""
        ...
