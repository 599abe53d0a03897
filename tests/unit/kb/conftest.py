"""Fixtures for the knowledge-base tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.unit.kb.kb_helpers import csv_bytes


@pytest.fixture
def write_csv(tmp_path: Path):
    """write_csv(name, rows, header=COLUMNS, encoding=..., delimiter=...) -> the file's path."""

    def write(name: str, rows: Sequence[Sequence[str]], **kwargs) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(csv_bytes(rows, **kwargs))
        return path

    return write
