"""Helpers for the knowledge-base tests: small tables in the canonical columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.kb.model import COLUMNS


def entry_row(
    faq_id: str = "F001",
    question: str = "社保卡丢了怎么补办？",
    similar: str = "社保卡遗失去哪里补|社保卡坏了怎么换",
    answer: str = "携带身份证到社保服务网点办理挂失和补卡。",
    category: str = "社保",
    department: str = "人社局",
    valid_from: str = "",
    valid_to: str = "",
) -> list[str]:
    return [faq_id, category, question, similar, answer, department, valid_from, valid_to]


def csv_bytes(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = COLUMNS,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
