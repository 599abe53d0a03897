"""The error a knowledge base that fails validation raises: every problem, located."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import InputError
from bot.kb.model import Problem

# How many problems the message lists; the rest are counted (`bot kb check` shows them all).
SHOWN_PROBLEMS = 20


class KbValidationError(InputError):
    """The knowledge base has problems; `problems` holds all of them."""

    def __init__(self, problems: Sequence[Problem], source: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"知识库 {self.source} " if self.source else "知识库"
        lines = [f"{where}有 {len(self.problems)} 个问题，无法使用："]
        lines += [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        hidden = len(self.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            lines.append(f"  ……还有 {hidden} 个问题未列出")
        target = self.source or "PATH"
        lines.append(f"改正后再试；运行 `bot kb check {target}` 可列出全部问题。")
        return "\n".join(lines)
