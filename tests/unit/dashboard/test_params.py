"""The dashboard's query parameters: defaults, one-sided ranges, limits, channels."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.dashboard.params import (
    CITIZEN_CHANNELS,
    MAX_DAYS,
    ParamError,
    parse_range,
    parse_staffing,
)

TODAY = date(2026, 3, 4)


def test_no_dates_is_the_last_seven_days_including_today() -> None:
    rng = parse_range({}, TODAY)
    assert (rng.since, rng.until, rng.days) == (date(2026, 2, 26), TODAY, 7)
    assert (rng.start, rng.end) == (datetime(2026, 2, 26), datetime(2026, 3, 5))


def test_only_since_runs_to_today() -> None:
    rng = parse_range({"since": "2026-03-01"}, TODAY)
    assert (rng.since, rng.until) == (date(2026, 3, 1), TODAY)


def test_only_a_future_since_is_that_one_day() -> None:
    rng = parse_range({"since": "2026-04-01"}, TODAY)
    assert (rng.since, rng.until) == (date(2026, 4, 1), date(2026, 4, 1))


def test_only_until_is_the_seven_days_before_it() -> None:
    rng = parse_range({"until": "2026-01-10"}, TODAY)
    assert (rng.since, rng.until) == (date(2026, 1, 4), date(2026, 1, 10))


def test_the_longest_range_is_allowed_and_one_day_more_is_not() -> None:
    assert parse_range({"since": "2024-03-04", "until": "2026-03-04"}, TODAY).days == MAX_DAYS
    with pytest.raises(ParamError) as err:
        parse_range({"since": "2024-03-03", "until": "2026-03-04"}, TODAY)
    assert err.value.field == "since" and str(MAX_DAYS) in err.value.message


def test_one_day_is_a_range() -> None:
    assert parse_range({"since": "2026-03-03", "until": "2026-03-03"}, TODAY).days == 1


@pytest.mark.parametrize(
    ("channel", "channels"),
    [("", CITIZEN_CHANNELS), ("all", None), ("voice", ("voice",)), ("replay", ("replay",))],
)
def test_channels(channel: str, channels: tuple[str, ...] | None) -> None:
    assert parse_range({"channel": channel}, TODAY).channels == channels


def test_staffing_defaults() -> None:
    p = parse_staffing({})
    assert (p.aht_s, p.service_level, p.answer_within_s) == (300.0, 0.8, 20.0)


def test_answering_at_once_is_allowed() -> None:
    assert parse_staffing({"answer_within_s": "0"}).answer_within_s == 0.0


@pytest.mark.parametrize("raw", ["inf", "-inf", "1e400", "nan", "3,5"])
def test_numbers_that_are_not_finite_are_refused(raw: str) -> None:
    with pytest.raises(ParamError, match="aht_s 应为数字"):
        parse_staffing({"aht_s": raw})


def test_a_blank_number_is_the_default() -> None:
    assert parse_staffing({"aht_s": "  "}).aht_s == 300.0
