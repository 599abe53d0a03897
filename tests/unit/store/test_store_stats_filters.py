"""The statistics the dashboard adds to `bot stats`: a channel filter, the grouped counts alone
and the transfers per clock hour, on SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from bot.errors import InputError
from bot.store.base import Channel
from bot.store.sql import SqlStore
from bot.store.stats import compute_agent_hourly, compute_groups, compute_stats
from tests.unit.dashboard import seed

SINCE = datetime(2026, 3, 2)
UNTIL = datetime(2026, 3, 5)
CITIZENS = (Channel.CHAT, Channel.VOICE, Channel.PHONE)


@pytest.fixture
def log(open_store: Callable[..., SqlStore]) -> SqlStore:
    clock = {"now": SINCE}
    store = open_store(clock=lambda: clock["now"])
    seed.seed(store, lambda at: clock.__setitem__("now", at))
    return store


def test_every_channel_by_default(log: SqlStore) -> None:
    assert compute_stats(log, SINCE, UNTIL).counts.sessions == 13


def test_one_channel(log: SqlStore) -> None:
    stats = compute_stats(log, SINCE, UNTIL, channel="voice")
    assert (stats.counts.sessions, stats.counts.transferred) == (3, 2)
    assert stats.transfers_by_reason == {"low_confidence": 2}
    assert stats.work_orders == 0


def test_several_channels(log: SqlStore) -> None:
    stats = compute_stats(log, SINCE, UNTIL, channel=CITIZENS)
    assert (stats.counts.sessions, stats.counts.deflected_confirmed) == (12, 2)
    assert stats.work_orders == 1  # b3, a chat session
    assert [f.faq_id for f in stats.top_faqs] == ["F1", "F2", "F3"]


def test_an_unknown_channel_is_refused(log: SqlStore) -> None:
    with pytest.raises(InputError, match="channel 'fax' is not one of chat, voice"):
        compute_stats(log, SINCE, UNTIL, channel="fax")


def test_an_empty_channel_collection_is_refused(log: SqlStore) -> None:
    with pytest.raises(InputError, match="selects nothing"):
        compute_stats(log, SINCE, UNTIL, channel=())


def test_groups_alone_match_the_full_statistics(log: SqlStore) -> None:
    full = compute_stats(log, SINCE, UNTIL, "day", channel=CITIZENS).groups
    alone = compute_groups(log, SINCE, UNTIL, "day", channel=CITIZENS)
    assert alone == full
    assert [(g.key, g.counts.sessions) for g in alone] == [
        ("2026-03-02", 5),
        ("2026-03-03", 5),
        ("2026-03-04", 2),
    ]


def test_groups_by_category_ask_the_mapping(log: SqlStore) -> None:
    groups = compute_groups(
        log, SINCE, UNTIL, "category", categories={"F1": "户政"}, channel=CITIZENS
    )
    assert [(g.key, g.counts.sessions) for g in groups] == [("未匹配", 7), ("未知", 3), ("户政", 2)]


def test_groups_need_a_known_grouping(log: SqlStore) -> None:
    with pytest.raises(InputError, match="cannot group statistics by 'week'"):
        compute_groups(log, SINCE, UNTIL, "week")


def test_transfers_per_clock_hour(log: SqlStore) -> None:
    assert compute_agent_hourly(log, SINCE, UNTIL, channel=CITIZENS) == (
        ("2026-03-02 10:00", 2),
        ("2026-03-02 14:00", 1),
        ("2026-03-03 10:00", 1),
        ("2026-03-04 10:00", 1),
    )
    assert compute_agent_hourly(log, SINCE, UNTIL, channel="phone") == (
        ("2026-03-02 10:00", 1),
        ("2026-03-03 10:00", 1),
    )


def test_the_range_is_checked(log: SqlStore) -> None:
    with pytest.raises(InputError, match="is not before"):
        compute_agent_hourly(log, UNTIL, SINCE)
