"""Rescore Whisper's n-best list with the character language model (lm.py).

faster-whisper asks CTranslate2 for the single best hypothesis of each 30 s window. Wrapped
by RescoringGenerator, the same beam search returns its `nbest` best hypotheses; each is
scored as

    Whisper's mean token log-probability + weight * the LM's mean log-probability per character

and faster-whisper goes on (timestamps, word alignment, the guard) with the winner, exactly as
it would with its own best. Both terms are per-unit means, so the choice does not lean towards
shorter or longer hypotheses.

Measured (bench/bench_asr.py, n-best collected once, weights compared on the same lists):
on 300 AISHELL sample files that are not in the selection (dev), Whisper's best had 505
character errors and the LM's choice 444-453 for weights 0.3-0.7; 0.3 was taken and then
checked once on the 59-file selection (133 -> 127 errors).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.voice.lm import CharNgramLM

log = logging.getLogger(__name__)

# A model of too little text does harm: on the 300 dev files (Whisper's best: 505 errors),
# the knowledge base alone (28 k characters) gave 515; 205 k characters of citizen messages
# 491, 1.0 M 475, 1.4 M 465, 4.2 M 453, the install's 6.0 M 444. Below this the bot keeps
# Whisper's own best.
MIN_LM_CHARACTERS = 100_000


@dataclass(frozen=True)
class Reranked:
    """What faster-whisper reads of a CTranslate2 WhisperGenerationResult, reordered."""

    sequences_ids: list[list[int]]
    scores: list[float]
    no_speech_prob: float
    sequences: list[list[str]]


class NbestRescorer:
    def __init__(self, lm: CharNgramLM, weight: float,
                 text_of: Callable[[Sequence[int]], str]) -> None:
        self.lm = lm
        self.weight = weight
        self.text_of = text_of  # token ids -> the text the LM scores (Simplified, no timestamps)
        self._lock = threading.Lock()
        self.windows = 0  # windows rescored
        self.changed = 0  # ... where the LM chose another text than Whisper's best

    def order(self, sequences: Sequence[Sequence[int]], scores: Sequence[float]) -> list[int]:
        """Indices of the hypotheses, best first."""
        if len(sequences) < 2:
            return list(range(len(sequences)))
        return self.rank([self.text_of(ids) for ids in sequences], scores)

    def rank(self, texts: Sequence[str], scores: Sequence[float]) -> list[int]:
        """The same, given each hypothesis's text (bench/bench_asr_lm.py replays lists)."""
        lm_scores = [self.lm.per_char(text) for text in texts]
        if any(score is None for score in lm_scores):
            # A hypothesis without Chinese characters (silence, a Latin name): nothing to
            # compare it with; keep Whisper's order.
            return list(range(len(texts)))
        combined = [float(s) + self.weight * float(lm)  # type: ignore[arg-type]
                    for s, lm in zip(scores, lm_scores, strict=True)]
        ranked = sorted(range(len(texts)), key=lambda i: -combined[i])
        with self._lock:
            self.windows += 1
            self.changed += texts[ranked[0]] != texts[0]
        if texts[ranked[0]] != texts[0]:
            log.debug("LM rescoring chose %r over Whisper's %r", texts[ranked[0]], texts[0])
        return ranked

    def rerank(self, result: Any) -> Any:
        ids = [list(s) for s in result.sequences_ids]
        ranked = self.order(ids, list(result.scores))
        if ranked == list(range(len(ids))):
            return result
        sequences = list(getattr(result, "sequences", None) or [[] for _ in ids])
        return Reranked([ids[i] for i in ranked], [result.scores[i] for i in ranked],
                        result.no_speech_prob, [sequences[i] for i in ranked])


class RescoringGenerator:
    """A CTranslate2 Whisper model whose beam-search `generate` returns the LM's choice first.

    Sampling (temperature fallback) and greedy decoding pass through untouched; so does every
    other method (encode, align, detect_language)."""

    def __init__(self, model: Any, rescorer: NbestRescorer, nbest: int) -> None:
        self._model = model
        self.rescorer = rescorer
        self.nbest = nbest

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def generate(self, features: Any, prompts: Any, **kwargs: Any) -> Any:
        beam = int(kwargs.get("beam_size", 1))
        sampling = float(kwargs.get("sampling_temperature", 0.0) or 0.0) > 0.0
        if beam < 2 or sampling or self.nbest < 2 or not kwargs.get("return_scores"):
            return self._model.generate(features, prompts, **kwargs)
        kwargs["num_hypotheses"] = min(self.nbest, beam)
        results = self._model.generate(features, prompts, **kwargs)
        return [self.rescorer.rerank(result) for result in results]
