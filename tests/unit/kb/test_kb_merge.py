from __future__ import annotations

from pathlib import Path

from bot.kb.importer import import_table
from bot.kb.merge import merge_import
from bot.kb.model import FaqEntry, KnowledgeBase

HEADER = ("编号", "问题", "答案")


def _existing() -> KnowledgeBase:
    return KnowledgeBase.of(
        [
            FaqEntry(
                "1", "社保", "社保卡怎么补办", ("社保卡丢了", "补社保卡"), "到网点补办", "人社局"
            ),
            FaqEntry(
                "2", "住房", "公积金怎么提取", ("取公积金", "提取公积金"), "线上办理", "公积金中心"
            ),
        ]
    )


def _import(write_csv, rows, header=HEADER):
    return import_table(write_csv("sheet.csv", rows, header=header))


def test_added_changed_unchanged_and_rejected(write_csv) -> None:
    imported = _import(
        write_csv,
        [
            ("1", "社保卡怎么补办", "到网点补办"),  # unchanged
            ("2", "公积金怎么提取", "登录网上大厅办理"),  # changed answer
            ("3", "户口怎么迁移", "到派出所"),  # added
            ("4", "社保卡丢了！", "另一个答案"),  # same question as entry 1's similar question
            ("5", "", "没有问题"),  # rejected by the import
        ],
    )
    merged = merge_import(_existing(), imported)
    assert merged.counts() == {"added": 1, "changed": 1, "unchanged": 1, "rejected": 2}
    assert merged.summary() == "新增 1 条，修改 1 条，未变 1 条，拒绝 2 行"
    assert [e.faq_id for e in merged.kb] == ["1", "2", "3"]
    (before, after) = merged.changed[0]
    assert (before.answer, after.answer) == ("线上办理", "登录网上大厅办理")
    assert [(p.row, p.field) for p in merged.rejected] == [(6, "question"), (5, "question")]
    assert (
        merged.rejected[1].message == "问题重复：'社保卡丢了！' 与知识库里 1 的 '社保卡丢了' 相同"
    )


def test_unmapped_fields_keep_their_existing_values(write_csv) -> None:
    imported = _import(write_csv, [("2", "公积金怎么提取", "新答案")])
    (_, after) = merge_import(_existing(), imported).changed[0]
    assert (after.category, after.similar_questions, after.department) == (
        "住房",
        ("取公积金", "提取公积金"),
        "公积金中心",
    )


def test_mapped_fields_replace_existing_values(write_csv) -> None:
    header = ("编号", "问题", "答案", "类别", "相似问")
    imported = _import(
        write_csv, [("2", "公积金怎么提取", "线上办理", "公积金", "")], header=header
    )
    (_, after) = merge_import(_existing(), imported).changed[0]
    assert (after.category, after.similar_questions) == ("公积金", ())


def test_merge_into_an_empty_base_adds_everything(write_csv, tmp_path: Path) -> None:
    imported = _import(write_csv, [("1", "甲", "乙"), ("2", "丙", "丁")])
    merged = merge_import(KnowledgeBase(()), imported)
    assert merged.counts() == {"added": 2, "changed": 0, "unchanged": 0, "rejected": 0}
