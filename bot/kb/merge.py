"""Merge imported entries into an existing knowledge base, and say what would change.

Entries match by faq_id. Fields the import did not map keep their existing values, so a sheet
with only questions and answers does not wipe an entry's similar questions or category.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.kb import rules
from bot.kb.importer import ImportResult
from bot.kb.model import FaqEntry, KnowledgeBase, Problem

# Fields an import may leave unmapped; the existing value then stays.
_KEPT_WHEN_UNMAPPED = ("category", "similar_questions", "department", "valid_from", "valid_to")


@dataclass(frozen=True)
class MergeResult:
    kb: KnowledgeBase  # the knowledge base after the merge
    added: tuple[FaqEntry, ...]
    changed: tuple[tuple[FaqEntry, FaqEntry], ...]  # (before, after)
    unchanged: tuple[FaqEntry, ...]
    rejected: tuple[Problem, ...]  # the import's rejected rows, then conflicts with the base

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
        }

    def summary(self) -> str:
        return (
            f"新增 {len(self.added)} 条，修改 {len(self.changed)} 条，"
            f"未变 {len(self.unchanged)} 条，拒绝 {len(self.rejected)} 行"
        )


def merge_import(existing: KnowledgeBase, imported: ImportResult) -> MergeResult:
    mapped = imported.mapping.mapped_fields()
    # question key -> (faq_id, text) of every question already in the base
    owners: dict[str, tuple[str, str]] = {}
    for entry in existing:
        for text in entry.all_questions:
            if key := rules.question_key(text):
                owners.setdefault(key, (entry.faq_id, text))
    replaced: dict[str, FaqEntry] = {}
    added: list[FaqEntry] = []
    changed: list[tuple[FaqEntry, FaqEntry]] = []
    unchanged: list[FaqEntry] = []
    rejected = list(imported.rejected)
    for item in imported.located:
        before = existing.get(item.entry.faq_id)
        after = _keep_unmapped(item.entry, before, mapped)
        conflict = _conflict(after, owners)
        if conflict:
            rejected.append(Problem(item.source, item.row, conflict[0], conflict[1]))
            continue
        if before is None:
            added.append(after)
        elif before == after:
            unchanged.append(before)
        else:
            changed.append((before, after))
            replaced[after.faq_id] = after
    entries = [replaced.get(e.faq_id, e) for e in existing] + added
    return MergeResult(
        KnowledgeBase.of(entries), tuple(added), tuple(changed), tuple(unchanged), tuple(rejected)
    )


def _keep_unmapped(entry: FaqEntry, before: FaqEntry | None, mapped: frozenset[str]) -> FaqEntry:
    if before is None:
        return entry
    kept = {name: getattr(before, name) for name in _KEPT_WHEN_UNMAPPED if name not in mapped}
    return replace(entry, **kept)


def _conflict(entry: FaqEntry, owners: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """A question of `entry` that another entry of the base already has."""
    for index, text in enumerate(entry.all_questions):
        owner = owners.get(rules.question_key(text))
        if owner and owner[0] != entry.faq_id:
            field = "question" if index == 0 else "similar_questions"
            return field, f"问题重复：{text!r} 与知识库里 {owner[0]} 的 {owner[1]!r} 相同"
    return None
