"""Transfer by REFER (RFC 3515): the bot asks the caller's side to call the agent queue,
and learns how that call went from NOTIFYs whose body is a sipfrag, the status line of
the new call ("SIP/2.0 200 OK"). Some equipment hangs up on the bot right after its 202
instead of reporting: after a 202 that BYE counts as the transfer done."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.telephony.sip.headers import HeaderError, SipUri
from bot.telephony.sip.message import SipMessage

if TYPE_CHECKING:
    from bot.telephony.sip.sipcall import SipCall

log = logging.getLogger(__name__)


def sipfrag_status(body: bytes) -> int:
    """The status code of a message/sipfrag body, 0 when it holds none."""
    lines = body.decode("utf-8", "replace").strip().splitlines()
    parts = lines[0].split() if lines else []
    if len(parts) >= 2 and parts[0].upper().startswith("SIP/") and parts[1].isdigit():
        return int(parts[1])
    return 0


class Referral:
    """One REFER of a call and its implicit subscription."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.accepted = False  # a 2xx to the REFER came
        self.outcome: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_notify(self, notify: SipMessage) -> int:
        """The status to answer a NOTIFY with: 200 inside this subscription, else 481."""
        if not (notify.get("Event") or "").strip().lower().startswith("refer"):
            return 489  # Bad Event: only the refer package is subscribed
        if self.outcome.done():
            return 481  # the subscription ended with the final report
        status = sipfrag_status(notify.body)
        state = (notify.get("Subscription-State") or "").strip().lower()
        if status >= 200 or state.startswith("terminated"):
            self.outcome.set_result(status)
        return 200

    def on_bye(self) -> bool:
        """The caller hung up on us: True when that completes an accepted transfer."""
        if not self.outcome.done():
            self.outcome.set_result(200 if self.accepted else 0)
        return self.accepted

    async def wait(self, timeout: float) -> int:
        """The final status of the new call (0 when none came in time)."""
        try:
            return await asyncio.wait_for(asyncio.shield(self.outcome), timeout)
        except TimeoutError:
            return 0


async def refer(call: SipCall, target: str) -> bool:
    """REFER the caller of `call` to `target` and follow the subscription to the end."""
    try:
        SipUri.parse(target)
    except HeaderError as err:
        log.error("sip: call %s: transfer target %r: %s", call.call_id, target, err)
        return False
    referral = call.referral = Referral(target)
    headers = [("Refer-To", f"<{target}>"), ("Referred-By", f"<{call.dialog.local.uri}>")]
    try:
        response = await call.ua.send_in_dialog(call.dialog, "REFER", headers)
        if response is None or not 200 <= response.status < 300:
            status = f"{response.status} {response.reason}" if response else "no answer"
            log.warning("sip: call %s: REFER to %s refused: %s", call.call_id, target, status)
            return False
        referral.accepted = True
        final = await referral.wait(call.ua.options.transfer_timeout_s)
    finally:
        call.referral = None
    if not 200 <= final < 300:
        log.warning(
            "sip: call %s: transfer to %s failed (%s)",
            call.call_id,
            target,
            final or "no final NOTIFY",
        )
        return False
    log.info("sip: call %s: transferred to %s", call.call_id, target)
    await call.end("transferred", send_bye=True)
    return True
