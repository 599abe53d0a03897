"""Growth of a cluster over time and the ranking weight."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot.mining.rank import RISING_BOOST, demand, priority
from bot.mining.trend import Window, trend

END = datetime(2024, 6, 30)


def days_ago(*days: int) -> list[datetime | None]:
    return [END - timedelta(days=d) for d in days]


def test_window_ends_at_the_latest_time_in_the_data() -> None:
    window = Window.of(days_ago(0, 10, 40, 100) + [None], days=30)
    assert window.cutoff == END - timedelta(days=30)
    assert (window.recent_total, window.earlier_total) == (2, 2)


def test_a_topic_that_is_mostly_recent_is_rising() -> None:
    everything = days_ago(*range(0, 200, 2))  # 100 rows, 16 in the last 30 days
    window = Window.of(everything, days=30)
    topic = trend(days_ago(1, 3, 5, 7, 150), window)
    assert (topic.recent, topic.earlier, topic.rising) == (4, 1, True)
    assert topic.growth is not None and topic.growth > 2


def test_a_steady_topic_is_not_rising() -> None:
    window = Window.of(days_ago(*range(0, 200, 2)), days=30)
    topic = trend(days_ago(*range(0, 200, 20)), window)
    assert not topic.rising


def test_too_few_recent_rows_are_not_a_trend() -> None:
    window = Window.of(days_ago(*range(0, 200, 2)), days=30)
    assert not trend(days_ago(1, 2), window).rising


def test_undated_data_has_no_trend() -> None:
    window = Window.of([None, None])
    assert trend([None], window).growth is None
    assert window.cutoff is None


def test_all_recent_data_has_no_growth() -> None:
    window = Window.of(days_ago(0, 1, 2), days=30)
    assert trend(days_ago(0, 1, 2), window).growth is None


def test_demand_counts_rows_and_damped_votes() -> None:
    assert demand([0, 0, 0]) == 3
    assert math.isclose(demand([2000]), 1 + math.log1p(2000))
    assert demand([5, 5]) > demand([5]) > demand([0])


def test_rising_clusters_are_boosted() -> None:
    assert priority(10.0, True) == 10.0 * RISING_BOOST
    assert priority(10.0, False) == 10.0
