"""One SIP call, answered by the bot: the CallControl the flow gets, and the feeding of its
CallHandler. INVITE -> 100 -> 180 -> (a short ring) -> 200 with our SDP, resent until the
ACK -> `acceptor.accept(control)` -> audio and keys to the handler, in arrival order ->
one `on_hangup`. Transfer is a REFER (refer.py)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING

from bot.telephony.sip import sdp
from bot.telephony.sip.codec import CODECS
from bot.telephony.sip.dialog import Dialog
from bot.telephony.sip.message import SipMessage
from bot.telephony.sip.refer import Referral, refer
from bot.telephony.sip.rtp import RtpSession

if TYPE_CHECKING:
    from bot.telephony.call import CallHandler
    from bot.telephony.sip.ua import UserAgent

log = logging.getLogger(__name__)

_QUEUE_MAX = 250  # 5 s of 20 ms frames waiting for a slow handler; then the oldest go
_BYE_TIMEOUT_S = 5.0


def _sends(direction: str) -> bool:
    return direction in ("sendrecv", "sendonly")


def _receives(direction: str) -> bool:
    return direction in ("sendrecv", "recvonly")


class SipCall:
    def __init__(
        self,
        ua: UserAgent,
        invite: SipMessage,
        source: tuple[str, int],
        dialog: Dialog,
        invite_key: tuple[str, ...],
        offer: sdp.Session | None,
        media: tuple[sdp.Negotiated, int] | None,
    ) -> None:
        self.ua, self.invite, self.source, self.dialog = ua, invite, source, dialog
        self.invite_keys = [invite_key]  # the INVITE's, then each re-INVITE's
        self.call_id = dialog.call_id
        pai = invite.get("P-Asserted-Identity")  # trunks put the real caller number here
        self.caller = (pai and pai.split(",")[0].strip().strip("<>")) or dialog.remote.uri
        self.state = "early"  # -> answered (200 sent) -> confirmed (ACK) -> ended
        self._offer, self._media = offer, media
        self._sdp_id, self._sdp_version = secrets.randbelow(2**31), 1
        self.rtp: RtpSession | None = None
        self.rtp_port: int | None = None
        self.handler: CallHandler | None = None
        self.referral: Referral | None = None
        self._queue: asyncio.Queue[tuple[str, bytes | str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._acked = asyncio.Event()
        self._ended = False
        self._bye_received = False

    @property
    def invite_key(self) -> tuple[str, ...]:
        return self.invite_keys[0]

    # --- answering -------------------------------------------------------------------
    async def answer(self) -> None:
        ua, opts = self.ua, self.ua.options
        contact = [("Contact", f"<{self.dialog.contact}>")]
        ua.reply(
            self.invite, self.source, 180, "Ringing", to_tag=self.dialog.local_tag, headers=contact
        )
        await asyncio.sleep(opts.answer_delay_s)
        if self.state != "early":  # cancelled while ringing
            return
        # a delayed offer (no SDP in the INVITE): ours goes in the 200, theirs in the ACK
        first = opts.codecs[0]
        chosen, index = self._media or (
            sdp.Negotiated(
                first, CODECS[first].payload_type, sdp.DEFAULT_TE_PT, self.source[0], 0, "sendrecv"
            ),
            0,
        )
        self.rtp = RtpSession(
            CODECS[chosen.codec],
            chosen.payload_type,
            chosen.te_payload_type,
            (chosen.remote_host, chosen.remote_port),
            self._audio_in,
            self.key_in,
            send=_sends(chosen.direction),
            receive=_receives(chosen.direction),
        )
        try:
            self.rtp_port = await ua.ports.open(opts.host, self.rtp)
        except OSError as err:
            log.error("sip: call %s: %s; answering 503", self.call_id, err)
            self.state = "ended"
            ua.reply(
                self.invite, self.source, 503, "No RTP Port Free", to_tag=self.dialog.local_tag
            )
            ua.forget(self)
            return
        if self.state != "early":  # cancelled while the port was opened
            self._close_media()
            return
        self.state = "answered"
        body = self._sdp_body(self._offer, chosen, index)
        ua.reply(
            self.invite,
            self.source,
            200,
            "OK",
            to_tag=self.dialog.local_tag,
            headers=ua.capability_headers() + contact,
            body=body,
            content_type="application/sdp",
        )
        if self._offer is not None:
            self.rtp.start()
        try:
            await asyncio.wait_for(self._acked.wait(), opts.timers.timeout)
        except TimeoutError:
            log.warning("sip: call %s: no ACK for the 200 OK; hanging up", self.call_id)
            await self.end("error", send_bye=True)

    def _sdp_body(self, offer: sdp.Session | None, chosen: sdp.Negotiated, index: int) -> bytes:
        assert self.rtp_port is not None
        host, origin = self.ua.options.advertised_host, (self._sdp_id, self._sdp_version)
        if offer is None:
            return sdp.offer(self.ua.options.codecs, host, self.rtp_port, origin)
        return sdp.answer(offer, chosen, index, host, self.rtp_port, origin)

    def on_ack(self, ack: SipMessage) -> None:
        for key in self.invite_keys:
            self.ua.server.ack(key)
        if self.state != "answered":
            return
        if self._offer is None and not self._take_ack_answer(ack):
            return
        self.state = "confirmed"
        self._acked.set()
        self._tasks.append(asyncio.get_running_loop().create_task(self._run()))

    def _take_ack_answer(self, ack: SipMessage) -> bool:
        assert self.rtp is not None
        try:
            chosen, _ = sdp.negotiate(sdp.parse(ack.body), self.ua.options.codecs)
        except sdp.SdpError as err:
            log.warning("sip: call %s: unusable SDP answer in the ACK (%s)", self.call_id, err)
            self._acked.set()
            asyncio.get_running_loop().create_task(self.end("error", send_bye=True))
            return False
        self._apply(chosen)
        self.rtp.start()
        return True

    def _apply(self, chosen: sdp.Negotiated) -> None:
        assert self.rtp is not None
        self.rtp.codec, self.rtp.payload_type = CODECS[chosen.codec], chosen.payload_type
        self.rtp.te_payload_type = chosen.te_payload_type
        self.rtp.set_remote(
            (chosen.remote_host, chosen.remote_port),
            send=_sends(chosen.direction),
            receive=_receives(chosen.direction),
        )

    def reinvite(
        self, offer: sdp.Session, chosen: sdp.Negotiated, index: int, key: tuple[str, ...]
    ) -> bytes | None:
        """A re-INVITE (hold, a new address, a session refresh): our new answer, or None
        when the call has no media yet (the caller gets a 491 and retries)."""
        if self.rtp is None or self.rtp_port is None:
            return None
        self._apply(chosen)
        self._sdp_version += 1
        self.invite_keys.append(key)
        return self._sdp_body(offer, chosen, index)

    def cancel(self) -> bool:
        """CANCEL while ringing: True when the INVITE was still unanswered (then 487)."""
        if self.state != "early":
            return False
        self.state = "ended"
        self._ended = True
        self.ua.reply(
            self.invite, self.source, 487, "Request Terminated", to_tag=self.dialog.local_tag
        )
        self.ua.forget(self)
        return True

    # --- media to the handler --------------------------------------------------------
    def _audio_in(self, pcm: bytes) -> None:
        self._put(("audio", pcm))

    def key_in(self, key: str) -> None:
        """A key from RTP (RFC 4733) or SIP INFO."""
        log.info("sip: call %s: key %s", self.call_id, key)
        self._put(("dtmf", key))

    def _put(self, item: tuple[str, bytes | str]) -> None:
        if self._ended:
            return
        if self._queue.qsize() >= _QUEUE_MAX:
            self._queue.get_nowait()  # a stalled handler loses the oldest audio, not the newest
        self._queue.put_nowait(item)

    async def _run(self) -> None:
        try:
            self.handler = await self.ua.acceptor.accept(self)
        except Exception:
            log.exception("sip: call %s: the acceptor failed; hanging up", self.call_id)
            await self.end("error", send_bye=True)
            return
        self._tasks.append(asyncio.get_running_loop().create_task(self._watch_rtp()))
        while not self._ended:
            kind, value = await self._queue.get()
            try:
                if kind == "audio":
                    await self.handler.on_audio(value)  # type: ignore[arg-type]
                else:
                    await self.handler.on_dtmf(value)  # type: ignore[arg-type]
            except Exception:
                log.exception("sip: call %s: the call handler failed; hanging up", self.call_id)
                await self.end("error", send_bye=True)
                return

    async def _watch_rtp(self) -> None:
        loop = asyncio.get_running_loop()
        limit = self.ua.options.rtp_timeout_s
        quiet_since = loop.time()
        while not self._ended and self.rtp is not None:
            if not self.rtp.receiving:  # on hold: the caller sends nothing on purpose
                quiet_since = loop.time()
            last = max(self.rtp.last_rx or 0.0, quiet_since)
            if loop.time() - last > limit:
                log.warning("sip: call %s: no RTP for %.0f s; hanging up", self.call_id, limit)
                await self.end("rtp_timeout", send_bye=True)
                return
            await asyncio.sleep(min(1.0, limit / 4))

    # --- CallControl -----------------------------------------------------------------
    def play(self, pcm: bytes) -> None:
        if self.rtp is not None and not self._ended:
            self.rtp.play(pcm)

    def stop_playback(self) -> None:
        if self.rtp is not None:
            self.rtp.stop_playback()

    def playback_pending_s(self) -> float:
        return self.rtp.playback_pending_s() if self.rtp is not None else 0.0

    def send_dtmf(self, key: str) -> bool:
        return self.rtp is not None and self.rtp.send_dtmf(key)

    async def transfer(self, target: str) -> bool:
        """REFER the caller to `target`; True once the new call is answered (then this
        call ends as "transferred"); False leaves the call as it was."""
        if self.state != "confirmed" or self._ended or self.referral is not None:
            return False
        return await refer(self, target)

    def on_notify(self, notify: SipMessage) -> int:
        """The status for a NOTIFY in this dialog: 200 inside our REFER subscription."""
        return 481 if self.referral is None else self.referral.on_notify(notify)

    async def hangup(self) -> None:
        await self.end("hangup", send_bye=True)

    # --- ending ----------------------------------------------------------------------
    def on_bye(self) -> None:
        self._bye_received = True
        if self.referral is not None and self.referral.on_bye():
            return  # transfer() sees the outcome and ends the call as transferred
        asyncio.get_running_loop().create_task(self.end("caller_bye", send_bye=False))

    async def end(self, reason: str, send_bye: bool) -> None:
        """End the call once: media closed, BYE sent (unless the caller sent one), the
        handler told. The bot's own hang-up is reported as "error": the contract's reasons
        have no other name for it."""
        if self._ended:
            return
        self._ended = True
        was_up = self.state in ("answered", "confirmed")
        self.state = "ended"
        self._acked.set()
        self._close_media()
        self.ua.forget(self)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        if send_bye and was_up and not self._bye_received:
            try:
                await asyncio.wait_for(self.ua.send_in_dialog(self.dialog, "BYE"), _BYE_TIMEOUT_S)
            except TimeoutError:
                log.warning("sip: call %s: no answer to our BYE", self.call_id)
        if self.handler is not None:
            try:
                await self.handler.on_hangup("error" if reason == "hangup" else reason)
            except Exception:
                log.exception("sip: call %s: on_hangup failed", self.call_id)

    def _close_media(self) -> None:
        if self.rtp is not None:
            self.rtp.close()
        if self.rtp_port is not None:
            self.ua.ports.release(self.rtp_port)
            self.rtp_port = None
