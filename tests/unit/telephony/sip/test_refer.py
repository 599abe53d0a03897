"""The REFER subscription's reports: sipfrag status lines, NOTIFY answers."""

from __future__ import annotations

import asyncio

import pytest

from bot.telephony.sip.message import SipMessage
from bot.telephony.sip.refer import Referral, sipfrag_status


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"SIP/2.0 200 OK\r\n", 200),
        (b"SIP/2.0 100 Trying", 100),
        (b"sip/2.0 486 Busy", 486),
        (b"", 0),
        (b"garbage", 0),
    ],
)
def test_sipfrag_status(body: bytes, status: int) -> None:
    assert sipfrag_status(body) == status


def notify(body: bytes, state: str = "active", event: str = "refer") -> SipMessage:
    msg = SipMessage(method="NOTIFY", uri="sip:bot@h", body=body)
    msg.add("Event", event)
    msg.add("Subscription-State", state)
    return msg


def test_the_final_report_ends_the_subscription() -> None:
    async def run() -> tuple[list[int], int]:
        referral = Referral("sip:queue@h")
        answers = [
            referral.on_notify(notify(b"SIP/2.0 100 Trying")),
            referral.on_notify(notify(b"SIP/2.0 200 OK", "terminated;reason=noresource")),
            referral.on_notify(notify(b"SIP/2.0 200 OK")),
            referral.on_notify(notify(b"SIP/2.0 200 OK", event="presence")),
        ]
        return answers, await referral.wait(1)

    answers, final = asyncio.run(run())
    assert answers == [200, 200, 481, 489]
    assert final == 200


def test_a_bye_after_the_202_counts_as_done_and_before_it_does_not() -> None:
    async def run() -> tuple[bool, int, bool, int]:
        accepted = Referral("sip:q@h")
        accepted.accepted = True
        refused = Referral("sip:q@h")
        return accepted.on_bye(), await accepted.wait(1), refused.on_bye(), await refused.wait(1)

    assert asyncio.run(run()) == (True, 200, False, 0)


def test_no_report_is_0() -> None:
    async def run() -> int:
        return await Referral("sip:q@h").wait(0.01)

    assert asyncio.run(run()) == 0
