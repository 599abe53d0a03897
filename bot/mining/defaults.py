"""Defaults of a mining run, apart from the modules that use them so `bot --help` imports
nothing heavy (numpy, FAISS)."""

from __future__ import annotations

METHODS = ("leader", "components")
DEFAULT_METHOD = "leader"
# The leader method's pairwise-F1-best threshold on LCQMC dev (F1 0.808; bench/bench_mining.py):
# "asks the same thing". e5 cosines bunch high: random citizen messages are ~0.87 apart.
DEFAULT_THRESHOLD = 0.97
DEFAULT_MIN_SIZE = 3
RECENT_DAYS = 30
