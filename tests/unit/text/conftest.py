from __future__ import annotations

from pathlib import Path

import pytest

from bot.text.tokenize import HotlineTokenizer

FIXTURE_DICT = Path(__file__).resolve().parent / "fixtures" / "dict"


@pytest.fixture(scope="session")
def jieba_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jieba") / "jieba.cache"


@pytest.fixture(scope="session")
def tokenizer(jieba_cache: Path) -> HotlineTokenizer:
    """One loaded tokenizer with the test-only dictionary (jieba's load takes ~1 s)."""
    tk = HotlineTokenizer(FIXTURE_DICT, jieba_cache)
    tk.load()
    return tk
