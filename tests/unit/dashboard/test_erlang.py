"""Erlang C against the textbook formula and known worked examples.

The reference below is the textbook form, written out independently of the module (which
uses the Erlang B recursion): with traffic A erlangs and N agents,

    P(wait) = (A^N / N! * N / (N - A)) / (sum_{k<N} A^k / k! + A^N / N! * N / (N - A))
    SL(t)   = 1 - P(wait) * exp(-(N - A) * t / AHT)

Worked example (the standard one in call-centre planning texts, e.g. Call Centre Helper's
"Erlang C formula - made simple"): 200 calls an hour (100 per half hour), AHT 180 s, so
A = 10 erlangs; 80% within 20 s. By the formula: N = 11 gives P(wait) 0.6821, SL 0.3896;
N = 13 gives SL 0.7956 (short of 80%); N = 14 gives SL 0.8884: 14 agents.
The brief's case, 100 calls an hour at 180 s (A = 5): N = 7 gives SL 0.7404, N = 8 gives
P(wait) 0.1673 and SL 0.8801: 8 agents.
"""

from __future__ import annotations

import math

import pytest

from bot.dashboard import erlang
from bot.errors import InputError


def reference_wait(agents: int, a: float) -> float:
    top = a**agents / math.factorial(agents) * agents / (agents - a)
    return top / (sum(a**k / math.factorial(k) for k in range(agents)) + top)


def reference_level(agents: int, a: float, aht: float, t: float) -> float:
    return 1 - reference_wait(agents, a) * math.exp(-(agents - a) * t / aht)


def test_100_calls_an_hour_at_180_s_need_8_agents_for_80_in_20() -> None:
    result = erlang.agents_needed(100, 180, 0.8, 20)
    assert result.traffic_erlangs == pytest.approx(5.0)
    assert result.agents == 8
    assert result.service_level == pytest.approx(0.8801, abs=1e-4)
    assert result.wait_probability == pytest.approx(0.1673, abs=1e-4)
    assert result.occupancy == pytest.approx(5 / 8)
    # One fewer agent misses the target: 7 is not enough.
    assert erlang.service_level(7, 100, 180, 20) == pytest.approx(0.7404, abs=1e-4)


def test_the_ten_erlang_worked_example_needs_14_agents() -> None:
    result = erlang.agents_needed(200, 180, 0.8, 20)
    assert result.agents == 14
    assert result.service_level == pytest.approx(0.8884, abs=1e-4)
    assert erlang.erlang_c(11, 10.0) == pytest.approx(0.6821, abs=1e-4)
    assert erlang.service_level(11, 200, 180, 20) == pytest.approx(0.3896, abs=1e-4)
    assert erlang.service_level(13, 200, 180, 20) == pytest.approx(0.7956, abs=1e-4)


@pytest.mark.parametrize(
    ("agents", "erlangs"), [(1, 0.3), (6, 5.0), (14, 10.0), (30, 25.0), (60, 48.0)]
)
def test_the_recursion_agrees_with_the_factorial_formula(agents: int, erlangs: float) -> None:
    assert erlang.erlang_c(agents, erlangs) == pytest.approx(reference_wait(agents, erlangs))


@pytest.mark.parametrize(
    ("calls", "aht", "target", "within"),
    [(100, 180, 0.8, 20), (720, 240, 0.8, 15), (50, 600, 0.9, 30), (1000, 300, 0.95, 10)],
)
def test_the_answer_is_the_fewest_agents_meeting_the_target(
    calls: float, aht: float, target: float, within: float
) -> None:
    a = calls * aht / 3600
    n = erlang.agents_needed(calls, aht, target, within).agents
    assert reference_level(n, a, aht, within) >= target
    assert n - 1 <= a or reference_level(n - 1, a, aht, within) < target


def test_one_agent_is_the_m_m_1_queue() -> None:
    # M/M/1: P(wait) = rho; SL = 1 - rho * exp(-(1 - rho) * t / AHT).
    rho = 2 * 300 / 3600
    result = erlang.agents_needed(2, 300, 0.8, 20)
    assert result.agents == 1
    assert result.wait_probability == pytest.approx(rho)
    assert result.service_level == pytest.approx(1 - rho * math.exp(-(1 - rho) * 20 / 300))


def test_no_traffic_needs_no_agents() -> None:
    result = erlang.agents_needed(0, 300, 0.8, 20)
    assert (result.agents, result.service_level, result.occupancy) == (0, 1.0, 0.0)
    assert erlang.service_level(0, 0, 300, 20) == 1.0


def test_answering_at_once_counts_only_calls_that_never_wait() -> None:
    result = erlang.agents_needed(100, 180, 0.8, 0)
    assert result.service_level == pytest.approx(1 - reference_wait(result.agents, 5.0))
    assert reference_wait(result.agents - 1, 5.0) > 0.2


def test_too_few_agents_answer_nobody_in_time() -> None:
    assert erlang.erlang_c(5, 5.0) == 1.0
    assert erlang.service_level(4, 100, 180, 20) == 0.0


def test_large_traffic_is_staffed_without_overflow() -> None:
    # 20,000 calls an hour at 5 min: 1,667 erlangs; A^N / N! alone would overflow a float.
    result = erlang.agents_needed(20_000, 300, 0.8, 20)
    assert 1667 < result.agents < 1760
    assert result.service_level >= 0.8


def test_traffic_beyond_the_cap_is_refused_with_the_numbers() -> None:
    with pytest.raises(erlang.StaffingLimitError, match="need more than 100 agents"):
        erlang.agents_needed(10_000, 300, 0.8, 20, max_agents=100)


def test_traffic_beyond_any_staffing_is_refused() -> None:
    with pytest.raises(InputError, match="calls_per_hour must be a finite number"):
        erlang.agents_needed(math.inf, 300, 0.8, 20)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((100, 0, 0.8, 20), "aht_s"),
        ((100, -5, 0.8, 20), "aht_s"),
        ((100, math.nan, 0.8, 20), "aht_s"),
        ((100, 180, 1.0, 20), "service_level"),
        ((100, 180, 0.0, 20), "service_level"),
        ((100, 180, 80, 20), "service_level"),
        ((100, 180, 0.8, -1), "answer_within_s"),
        ((-1, 180, 0.8, 20), "calls_per_hour"),
        (("many", 180, 0.8, 20), "calls_per_hour"),
        ((100, True, 0.8, 20), "aht_s"),
    ],
)
def test_bad_parameters_name_the_field(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(InputError, match=field):
        erlang.agents_needed(*args)
