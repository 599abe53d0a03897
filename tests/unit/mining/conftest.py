"""Planted groups of paraphrases for the mining tests, and a fake embedder that counts calls.

The groups share a long core phrase, so FakeEmbedder (hashed character n-grams) puts each
group's texts close together and the groups far apart; THRESHOLD separates them.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bot.embed.base import FakeEmbedder
from bot.mining.rows import MinedRow

THRESHOLD = 0.5  # FakeEmbedder cosines: > 0.6 within a planted group, < 0.35 across
GROUPS = {
    "shebao": ["社保卡丢了怎么补办", "社保卡丢了怎么补办呢", "社保卡丢了去哪里补办",
               "社保卡丢了补办要带什么", "我的社保卡丢了怎么补办"],
    "gongjijin": ["住房公积金怎么提取出来", "住房公积金提取出来要什么材料",
                  "住房公积金怎么提取", "怎么把住房公积金提取出来"],
    "huzhao": ["护照过期了怎么换新的", "护照过期了去哪换新的", "护照过期了换新的要多久"],
}
NOISE = ["今天天气很好", "小区停车位不够用", "孩子上学报名时间", "垃圾分类怎么投放"]


class CountingEmbedder(FakeEmbedder):
    """FakeEmbedder that records how many texts it embedded."""

    def __init__(self, dim: int = 256) -> None:
        super().__init__(dim)
        self.calls: list[int] = []

    def _embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return super()._embed(texts)

    @property
    def embedded(self) -> int:
        return sum(self.calls)


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


def planted_texts() -> list[tuple[str, str]]:
    """(group name or "", text), groups interleaved with noise as in a real export."""
    items = [(name, text) for name, texts in GROUPS.items() for text in texts]
    items += [("", text) for text in NOISE]
    order = np.random.default_rng(7).permutation(len(items))
    return [items[i] for i in order]


def planted_rows(source: str = "/data/tickets.csv") -> list[MinedRow]:
    return [
        MinedRow(source, n, text, datetime(2024, 1, 1 + n % 28), group or "", n % 3)
        for n, (group, text) in enumerate(planted_texts(), 2)
    ]


@pytest.fixture
def tickets_csv(tmp_path: Path) -> Path:
    """The planted texts as a ticket export: 标题, 时间, 类别, 点赞数."""
    path = tmp_path / "tickets.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["编号", "标题", "时间", "类别", "点赞数"])
        for n, (group, text) in enumerate(planted_texts(), 1):
            writer.writerow([n, text, f"2024/1/{n % 28 + 1} 10:00:00", group, n % 3])
    return path
