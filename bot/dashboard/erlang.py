"""Erlang C staffing: how many agents an hour's calls need to meet "X% answered within T s".

The M/M/N queue: calls arrive at random (Poisson) at `calls_per_hour`, each holds an agent for
`aht_s` on average (exponential), a caller waits in one queue until an agent is free and never
hangs up. Traffic A = calls_per_hour * aht_s / 3600 erlangs. With N > A agents,

    P(wait) = C(N, A) = N * B / (N - A * (1 - B)),  B = Erlang B(N, A)
    service level = 1 - C(N, A) * exp(-(N - A) * T / aht_s)

and the agents needed are the smallest N meeting the target. Erlang B is computed by its
recursion B(0) = 1, B(n) = A * B(n-1) / (n + A * B(n-1)), which never overflows (the textbook
form with A^N / N! does past N ~ 170), and lets the search step N up one at a time.
No abandonment and no shrinkage (breaks, training): the result is agents on the phones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.errors import InputError

# Beyond this many agents the answer is not a staffing plan any more; it also bounds the
# search (each step is O(1), so the cap costs at most ~0.1 s).
MAX_AGENTS = 100_000
MAX_AHT_S = 24 * 3600


class StaffingLimitError(InputError):
    """The traffic needs more agents than MAX_AGENTS (or the caller's cap)."""


@dataclass(frozen=True)
class Staffing:
    calls_per_hour: float
    aht_s: float
    traffic_erlangs: float  # A: agents kept busy on average
    agents: int  # the fewest agents meeting the target
    service_level: float  # share answered within the target time, with `agents`
    wait_probability: float  # share that has to queue at all
    occupancy: float  # A / agents: how busy each agent is (0 when no agents)


def _finite(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{field} must be a number, got {value!r:.60}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{field} must be a finite number, got {value!r}")
    return number


def check_parameters(aht_s: object, target: object, within_s: object) -> tuple[float, float, float]:
    """The handling time (s), target share and answer time (s), checked; InputError names
    the parameter at fault."""
    aht = _finite(aht_s, "aht_s")
    if not 0 < aht <= MAX_AHT_S:
        raise InputError(f"aht_s must be more than 0 and at most {MAX_AHT_S} seconds, got {aht_s}")
    level = _finite(target, "service_level")
    if not 0 < level < 1:
        # 1.0 is never reached: with traffic there is always some chance that every agent
        # is busy, so no finite staffing answers 100% within any time.
        raise InputError(
            f"service_level must be between 0 and 1 exclusive (e.g. 0.8 for 80%), got {target}"
        )
    within = _finite(within_s, "answer_within_s")
    if within < 0:
        raise InputError(f"answer_within_s must be 0 or more seconds, got {within_s}")
    return aht, level, within


def traffic(calls_per_hour: float, aht_s: float) -> float:
    return calls_per_hour * aht_s / 3600.0


def erlang_b(agents: int, erlangs: float) -> float:
    """Probability that every one of `agents` is busy in a loss system (Erlang B)."""
    b = 1.0
    for n in range(1, agents + 1):
        b = erlangs * b / (n + erlangs * b)
    return b


def _erlang_c_from_b(agents: int, erlangs: float, b: float) -> float:
    if agents <= erlangs:
        return 1.0  # the queue grows without bound: everyone waits
    return agents * b / (agents - erlangs * (1.0 - b))


def erlang_c(agents: int, erlangs: float) -> float:
    """Probability that a caller has to wait (Erlang C); 1.0 when agents <= traffic."""
    return _erlang_c_from_b(agents, erlangs, erlang_b(agents, erlangs))


def _level(agents: int, erlangs: float, c: float, aht_s: float, within_s: float) -> float:
    if agents <= erlangs:
        return 0.0
    return 1.0 - c * math.exp(-(agents - erlangs) * within_s / aht_s)


def service_level(
    agents: int, calls_per_hour: float, aht_s: float, within_s: float
) -> float:
    """Share of calls answered within `within_s` seconds with `agents` agents."""
    erlangs = traffic(calls_per_hour, aht_s)
    if erlangs == 0:
        return 1.0
    return _level(agents, erlangs, erlang_c(agents, erlangs), aht_s, within_s)


def agents_needed(
    calls_per_hour: object,
    aht_s: object,
    target: object,
    within_s: object,
    *,
    max_agents: int = MAX_AGENTS,
) -> Staffing:
    """The fewest agents answering `target` (0-1) of calls within `within_s` seconds."""
    aht, level, within = check_parameters(aht_s, target, within_s)
    calls = _finite(calls_per_hour, "calls_per_hour")
    if calls < 0:
        raise InputError(f"calls_per_hour must be 0 or more, got {calls_per_hour}")
    erlangs = traffic(calls, aht)
    if erlangs == 0:
        return Staffing(calls, aht, 0.0, 0, 1.0, 0.0, 0.0)
    if erlangs >= max_agents:
        raise StaffingLimitError(_too_much(calls, aht, erlangs, max_agents))
    b = 1.0
    for n in range(1, max_agents + 1):
        b = erlangs * b / (n + erlangs * b)  # Erlang B(n), one recursion step
        if n <= erlangs:
            continue
        c = _erlang_c_from_b(n, erlangs, b)
        achieved = _level(n, erlangs, c, aht, within)
        if achieved >= level:
            return Staffing(calls, aht, erlangs, n, achieved, c, erlangs / n)
    raise StaffingLimitError(_too_much(calls, aht, erlangs, max_agents))


def _too_much(calls: float, aht: float, erlangs: float, cap: int) -> str:
    return (
        f"{calls:g} calls an hour at {aht:g} s each ({erlangs:.1f} erlangs) need more than "
        f"{cap} agents: check the volume and the handling time"
    )
