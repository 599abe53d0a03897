"""Which column of an external sheet feeds which FAQ field, given explicitly or guessed
from the headers Chinese hotline spreadsheets commonly use."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from bot.errors import InputError
from bot.kb.model import COLUMNS
from bot.kb.tables import Table

# Header names recognised without --map, per field, in order of preference. Each canonical
# column name maps to itself, so an exported knowledge base imports back unchanged.
ALIASES: dict[str, tuple[str, ...]] = {
    "faq_id": ("faq_id", "编号", "ID", "FAQ编号", "问题编号", "知识编号", "留言编号"),
    "category": ("category", "类别", "分类", "一级分类", "问题分类", "业务类别", "类型"),
    "question": ("question", "标准问", "标准问题", "问题", "留言主题", "标题"),
    "similar_questions": ("similar_questions", "相似问", "相似问题", "相似问法", "扩展问"),
    "answer": ("answer", "答案", "标准答案", "答复", "答复意见", "回复", "回复内容"),
    "department": ("department", "部门", "责任部门", "办理部门", "承办部门", "承办单位"),
    "valid_from": ("valid_from", "生效日期", "开始日期", "生效时间"),
    "valid_to": ("valid_to", "失效日期", "截止日期", "结束日期", "失效时间"),
}
_EXAMPLE = "question=留言主题,answer=答复意见,category=一级分类"


@dataclass(frozen=True)
class ColumnMapping:
    """Header name of the column for each field; None: the sheet has no such column."""

    question: str
    answer: str
    faq_id: str | None = None
    category: str | None = None
    similar_questions: str | None = None
    department: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None

    @classmethod
    def parse(cls, text: str) -> ColumnMapping:
        """A complete mapping from `field=列名,...`; question and answer are required."""
        spec = parse_map_spec(text)
        for required in ("question", "answer"):
            if not spec.get(required):
                raise InputError(f"列映射 {text!r} 缺少 {required}=列名；例如 {_EXAMPLE}")
        return cls(**spec)  # type: ignore[arg-type]

    @classmethod
    def resolve(
        cls, table: Table, explicit: Mapping[str, str | None] | None = None
    ) -> ColumnMapping:
        """Explicit choices first (an empty one turns a field off), then the known headers."""
        explicit = dict(explicit or {})
        chosen: dict[str, str | None] = {}
        for name, header in explicit.items():
            if header:
                index = table.index_of(header)
                if index is None:
                    raise InputError(
                        f"{table.source}：表头里没有列 {header!r}（{name}={header}）；"
                        f"表头有：{_shown(table.header)}"
                    )
                chosen[name] = table.header[index]
            else:
                chosen[name] = None
        used = {h for h in chosen.values() if h}
        for name in COLUMNS:
            if name in chosen:
                continue
            for alias in ALIASES[name]:
                index = table.index_of(alias)
                if index is not None and table.header[index] not in used:
                    chosen[name] = table.header[index]
                    used.add(table.header[index])
                    break
        missing = [name for name in ("question", "answer") if not chosen.get(name)]
        if missing:
            raise InputError(
                f"{table.source}：找不到 {'、'.join(missing)} 对应的列；"
                f"表头有：{_shown(table.header)}；"
                f'用 --map 指定，例如 --map "{_EXAMPLE}"'
            )
        return cls(**chosen)  # type: ignore[arg-type]

    def items(self) -> list[tuple[str, str]]:
        """(field, header) of every mapped field, in canonical column order."""
        return [(f.name, h) for f in _ordered_fields() if (h := getattr(self, f.name))]

    def mapped_fields(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.items())

    def describe(self) -> str:
        return ", ".join(f"{name}←{header}" for name, header in self.items())


def parse_map_spec(text: str) -> dict[str, str | None]:
    """`question=留言主题,answer=答复意见` -> {field: header}; `category=` maps no column."""
    spec: dict[str, str | None] = {}
    for part in re.split(r"[,，]", text):
        if not part.strip():
            continue
        name, sep, header = part.partition("=")
        name = name.strip()
        if not sep:
            raise InputError(f"列映射 {part.strip()!r} 缺少 =；写法是 字段=列名，例如 {_EXAMPLE}")
        if name not in COLUMNS:
            raise InputError(f"列映射里的字段 {name!r} 不存在；可用的字段：{', '.join(COLUMNS)}")
        if name in spec:
            raise InputError(f"列映射里字段 {name} 出现了两次")
        spec[name] = header.strip() or None
    if not spec:
        raise InputError(f"列映射是空的；例如 {_EXAMPLE}")
    return spec


def _ordered_fields() -> list:  # type: ignore[type-arg]
    by_name = {f.name: f for f in fields(ColumnMapping)}
    return [by_name[name] for name in COLUMNS]


def _shown(header: Sequence[str]) -> str:
    return "、".join(h for h in header if h) or "（空）"
