"""Defaults of a mining run, apart from the modules that use them so `bot --help` imports
nothing heavy (numpy, FAISS)."""

from __future__ import annotations

METHODS = ("leader", "components")
DEFAULT_METHOD = "leader"
# The leader method's pairwise-F1-best threshold on hotline questions (faq_eval_dev: questions,
# similar questions and colloquial paraphrases of 60 entries; bench/bench_mining.py). LCQMC
# dev's own best, 0.97, keeps only near-verbatim repeats together (its negatives differ by a
# word): on faq_eval_dev it puts 0.2% of same-entry pairs together. e5 cosines bunch high:
# random citizen messages are ~0.87 apart.
DEFAULT_THRESHOLD = 0.925
DEFAULT_MIN_SIZE = 3
RECENT_DAYS = 30
