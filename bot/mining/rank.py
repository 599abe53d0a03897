"""Ranking clusters for editors: by how many contacts an answer would deflect.

Each row is one contact; a "me too" vote (点赞数) is a citizen with the same problem who
did not write, counted with diminishing weight (log1p: one message with 2,000 votes counts
like ~8.6 messages, not like 2,000, since votes pile up on a few visible posts). A rising
topic is boosted: its contacts are still to come.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

RISING_BOOST = 1.5


def demand(votes: Sequence[int]) -> float:
    """Contacts an answer to the cluster would have deflected: its rows, weighted by votes."""
    return sum(1.0 + math.log1p(max(0, v)) for v in votes)


def priority(demand_value: float, rising: bool) -> float:
    return round(demand_value * (RISING_BOOST if rising else 1.0), 3)
