"""N-best rescoring: the LM overrules Whisper's best only by the measured weight, and the
CTranslate2 wrapper changes beam-search calls alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.voice.lm import CharNgramLM
from bot.voice.rescore import NbestRescorer, RescoringGenerator

CORPUS = ["甚至出现交易几乎停滞的情况", "市场交易几乎停滞", "二手住宅市场表现稳健"]
VOCAB = {1: "甚至出现交易几乎停制的情况", 2: "甚至出现交易几乎停滞的情况", 3: "hello", 4: ""}


@pytest.fixture(scope="module")
def lm() -> CharNgramLM:
    return CharNgramLM.fit(CORPUS, order=3)


def text_of(ids: Sequence[int]) -> str:
    return "".join(VOCAB[i] for i in ids)


@dataclass
class Result:  # what CTranslate2's WhisperGenerationResult offers faster-whisper
    sequences_ids: list[list[int]]
    scores: list[float]
    no_speech_prob: float = 0.01
    sequences: list[list[str]] = field(default_factory=list)


def test_lm_picks_the_written_form_whisper_ranked_second(lm: CharNgramLM) -> None:
    rescorer = NbestRescorer(lm, 0.3, text_of)
    assert rescorer.order([[1], [2]], [-0.30, -0.37]) == [1, 0]
    assert (rescorer.windows, rescorer.changed) == (1, 1)


def test_weight_zero_and_a_large_gap_keep_whispers_best(lm: CharNgramLM) -> None:
    assert NbestRescorer(lm, 0.0, text_of).order([[1], [2]], [-0.30, -0.37]) == [0, 1]
    assert NbestRescorer(lm, 0.3, text_of).order([[1], [2]], [-0.30, -2.5]) == [0, 1]


def test_hypothesis_without_chinese_keeps_the_order(lm: CharNgramLM) -> None:
    rescorer = NbestRescorer(lm, 0.3, text_of)
    assert rescorer.order([[1], [3], [2]], [-0.3, -0.31, -0.37]) == [0, 1, 2]
    assert rescorer.order([[1]], [-0.3]) == [0]
    assert rescorer.windows == 0


def test_rerank_reorders_everything_faster_whisper_reads(lm: CharNgramLM) -> None:
    rescorer = NbestRescorer(lm, 0.3, text_of)
    result = Result([[1], [2]], [-0.30, -0.37], 0.2, [["a"], ["b"]])
    best = rescorer.rerank(result)
    assert best.sequences_ids == [[2], [1]]
    assert best.scores == [-0.37, -0.30]
    assert best.sequences == [["b"], ["a"]]
    assert best.no_speech_prob == 0.2
    unchanged = Result([[2], [1]], [-0.30, -0.37])
    assert rescorer.rerank(unchanged) is unchanged


class FakeWhisper:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def generate(self, features: Any, prompts: Any, **kwargs: Any) -> list[Result]:
        self.calls.append(kwargs)
        n = kwargs.get("num_hypotheses", 1)
        return [Result([[1], [2]][:n], [-0.30, -0.37][:n])]

    def encode(self, features: Any) -> str:
        return "encoded"


def test_generator_asks_beam_search_for_its_nbest(lm: CharNgramLM) -> None:
    fake = FakeWhisper()
    generator = RescoringGenerator(fake, NbestRescorer(lm, 0.3, text_of), nbest=10)
    [result] = generator.generate("f", [[0]], beam_size=5, patience=1.0, return_scores=True)
    assert fake.calls[-1]["num_hypotheses"] == 5  # never more than the beam holds
    assert result.sequences_ids[0] == [2]


def test_generator_leaves_sampling_greedy_and_other_calls_alone(lm: CharNgramLM) -> None:
    fake = FakeWhisper()
    generator = RescoringGenerator(fake, NbestRescorer(lm, 0.3, text_of), nbest=10)
    generator.generate("f", [[0]], beam_size=1, num_hypotheses=1, sampling_temperature=0.4,
                       return_scores=True)
    generator.generate("f", [[0]], beam_size=1, return_scores=True)
    assert all(call.get("num_hypotheses", 1) == 1 for call in fake.calls)
    assert generator.encode("f") == "encoded"
