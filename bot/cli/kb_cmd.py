"""`bot kb`: check, import and export the knowledge base.

`bot kb build` lives in bot/cli/build_cmd.py and is added through its register_kb_build().
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from bot.errors import InputError
from bot.kb import rules
from bot.kb.export import export_kb, write_kb_folder
from bot.kb.importer import DEFAULT_ID_PREFIX, import_table
from bot.kb.loader import collect, kb_files, kb_folder, load_kb, table_files
from bot.kb.merge import MergeResult, merge_import
from bot.kb.model import COLUMNS, KnowledgeBase, Problem
from bot.settings import Settings

# The module that adds `bot kb build`, through register_kb_build(kb_subparsers), when present.
BUILD_MODULE = "bot.cli.build_cmd"
SHOWN = 20  # rejected rows and changed ids listed by `kb import`


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "kb",
        help="知识库：检查、导入、导出",
        description="检查、导入、导出 FAQ 知识库。知识库是一个文件夹，每个类别一个 UTF-8 CSV，"
        f"表头为 {','.join(COLUMNS)}；相似问用 | 分隔，日期为 YYYY-MM-DD 或留空。",
    )
    actions = parser.add_subparsers(dest="kb_command", metavar="ACTION")
    actions.required = True

    check = actions.add_parser(
        "check",
        help="检查知识库，列出全部问题",
        description="检查知识库文件夹或文件，每个问题一行：文件:行: 列: 原因。有问题时退出码为 1。",
    )
    check.add_argument("path", nargs="?", type=Path, help="知识库文件夹或文件（默认 BOT_KB_DIR）")
    check.add_argument(
        "--min-similar",
        type=int,
        default=rules.DEFAULT_MIN_SIMILAR,
        metavar="N",
        help=f"每条至少要有的相似问数（默认 {rules.DEFAULT_MIN_SIMILAR}；检查导入的表格可用 0）",
    )
    check.set_defaults(func=run_check)

    imp = actions.add_parser(
        "import",
        help="导入外部表格（xlsx/CSV），预览新增、修改、未变、拒绝",
        description="导入表格：按列映射读成问答条目，有问题的行被拒绝并给出原因，其余保留。"
        "按 faq_id 合并：--out 的文件已存在时合并进去，--into 合并进知识库文件夹。",
    )
    imp.add_argument("file", type=Path, help="要导入的 .xlsx/.csv/.tsv 文件")
    imp.add_argument(
        "--map",
        dest="mapping",
        metavar="SPEC",
        help='列映射，例如 "question=留言主题,answer=答复意见,category=一级分类"；'
        "未给的字段按常见表头自动识别，`字段=` 表示不导入该字段",
    )
    imp.add_argument("--encoding", help="CSV 的编码（默认自动识别 UTF-8/GBK）")
    imp.add_argument("--sheet", help="xlsx 的工作表名（默认第一个）")
    target = imp.add_mutually_exclusive_group()
    target.add_argument("--into", type=Path, metavar="DIR", help="合并进这个知识库文件夹")
    target.add_argument("--out", type=Path, metavar="FILE", help="写到 .csv 或 .xlsx 文件")
    imp.add_argument("--dry-run", action="store_true", help="只预览，不写任何文件")
    imp.add_argument("--limit", type=int, metavar="N", help="只读前 N 行数据")
    imp.add_argument(
        "--id-prefix",
        default=DEFAULT_ID_PREFIX,
        help=f"没有编号列时生成编号的前缀（默认 {DEFAULT_ID_PREFIX}，后接问题的 SHA-1）",
    )
    imp.add_argument(
        "--default-category",
        default=rules.DEFAULT_CATEGORY,
        metavar="NAME",
        help=f"没有类别时用的类别（默认 {rules.DEFAULT_CATEGORY}）",
    )
    imp.add_argument("--bom", action="store_true", help="--out 为 CSV 时加 BOM，便于 Excel 打开")
    imp.set_defaults(func=run_import)

    exp = actions.add_parser(
        "export",
        help="把知识库导出为一个 .csv 或 .xlsx 文件",
        description="把知识库导出为一个 .csv 或 .xlsx 文件（标准列）。",
    )
    exp.add_argument("--out", type=Path, required=True, metavar="FILE", help=".csv 或 .xlsx")
    exp.add_argument(
        "--kb", type=Path, metavar="PATH", help="知识库文件夹或文件（默认 BOT_KB_DIR）"
    )
    exp.add_argument("--bom", action="store_true", help="CSV 加 BOM，便于 Excel 打开")
    exp.set_defaults(func=run_export)

    _register_build(actions)


def _register_build(actions: Any) -> None:
    try:
        module = importlib.import_module(BUILD_MODULE)
    except ModuleNotFoundError as err:
        if err.name == BUILD_MODULE:  # not written yet
            return
        raise
    hook = getattr(module, "register_kb_build", None)
    if hook is not None:
        hook(actions)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.path or settings.kb_dir
    if args.min_similar < 0:
        raise InputError(f"--min-similar {args.min_similar} 无效；应为 0 或正整数")
    files = kb_files(path)
    located, problems = collect(path, min_similar=args.min_similar)
    for problem in problems:
        print(problem)
    where = f"{path}：{len(files)} 个文件，{len(located)} 条问答"
    if not problems:
        print(f"{where}，没有发现问题。")
        return 0
    print(f"{where}，发现 {len(problems)} 个问题（{_by_kind(problems)}）。")
    return 1


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    if not (args.into or args.out or args.dry_run):
        raise InputError(
            "没有指定写到哪里：用 --out FILE.csv|FILE.xlsx 写新文件，或用 --into DIR 合并进知识库"
            "文件夹（先加 --dry-run 预览）"
        )
    result = import_table(
        args.file,
        args.mapping,
        encoding=args.encoding,
        sheet=args.sheet,
        limit=args.limit,
        id_prefix=args.id_prefix,
        default_category=args.default_category,
    )
    print(f"读取 {result.source}：{result.rows_read} 行数据；列映射：{result.mapping.describe()}")
    existing, folder = _existing(args)
    merged = merge_import(existing, result)
    _print_preview(merged)
    if not merged.added and not merged.changed and not merged.unchanged:
        raise InputError(f"{result.source}：没有可导入的行，全部 {result.rows_read} 行被拒绝")
    if args.dry_run:
        print("（--dry-run：没有写任何文件）")
    elif folder is not None:
        written = write_kb_folder(merged.kb, folder)
        print(f"已写入 {folder}：{len(merged.kb)} 条，{len(written)} 个文件")
    elif args.out:
        export_kb(merged.kb, args.out, bom=args.bom)
        print(f"已写入 {args.out}：{len(merged.kb)} 条")
    return 0


def _existing(args: argparse.Namespace) -> tuple[KnowledgeBase, Path | None]:
    """The knowledge base the import merges into, and the folder to write (for --into)."""
    if args.into:
        if not args.into.is_dir():
            raise InputError(f"--into {args.into}：文件夹不存在；先创建它，或检查路径")
        folder = kb_folder(args.into)
        kb = load_kb(folder) if table_files(folder) else KnowledgeBase(())
        return kb, folder
    if args.out and args.out.exists():
        return load_kb(args.out), None
    return KnowledgeBase(()), None


def _print_preview(merged: MergeResult) -> None:
    print(merged.summary())
    if merged.changed:
        ids = [after.faq_id for _, after in merged.changed]
        more = f" 等 {len(ids)} 条" if len(ids) > SHOWN else ""
        print(f"修改的条目：{'、'.join(ids[:SHOWN])}{more}")
    if merged.rejected:
        print(f"拒绝的行（{_by_kind(merged.rejected)}）：")
        for problem in merged.rejected[:SHOWN]:
            print(f"  {problem}")
        if len(merged.rejected) > SHOWN:
            print(f"  ……还有 {len(merged.rejected) - SHOWN} 行")


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    kb = load_kb(args.kb or settings.kb_dir)
    export_kb(kb, args.out, bom=args.bom)
    print(f"已导出 {len(kb)} 条问答到 {args.out}")
    return 0


def _by_kind(problems: list[Problem] | tuple[Problem, ...]) -> str:
    counts: dict[str, int] = {}
    for problem in problems:
        kind = rules.problem_kind(problem.message)
        counts[kind] = counts.get(kind, 0) + 1
    return "，".join(f"{kind} {n}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]))
