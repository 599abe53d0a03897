"""Writing a mining report: one JSON object, or a table (CSV/XLSX) an editor opens in Excel."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from bot.errors import InputError
from bot.kb.tables import write_table
from bot.mining.coverage import COVERAGE_LABELS
from bot.mining.result import GAP_HINT, MiningReport

REPORT_SUFFIXES = (".json", ".csv", ".xlsx")
# Excel refuses longer cells; a huge cluster's member list is cut to fit (JSON has them all).
MAX_CELL = 32000

TABLE_COLUMNS = (
    ("rank", "排名"),
    ("id", "聚类编号"),
    ("size", "条数"),
    ("votes", "点赞数"),
    ("priority", "优先级"),
    ("coverage", "覆盖情况"),
    ("representative", "代表问题"),
    ("examples", "其他问法"),
    ("keywords", "关键词"),
    ("nearest_faq_id", "最近的FAQ"),
    ("nearest_question", "最近FAQ的标准问"),
    ("nearest_score", "相似度"),
    ("rising", "上升"),
    ("growth", "增长倍数"),
    ("recent", "近期条数"),
    ("first_seen", "最早"),
    ("last_seen", "最近"),
    ("categories", "类别分布"),
    ("hint", "提示"),
    ("members", "来源行"),
)


def check_out_path(path: Path) -> None:
    """Fail before the slow part of a run when the report cannot be written there."""
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise InputError(
            f"--out {path}：报告只能写成 {'、'.join(REPORT_SUFFIXES)}，不能是 "
            f"{path.suffix or '无扩展名'}"
        )
    if not path.parent.is_dir():
        raise InputError(f"--out {path}：文件夹 {path.parent} 不存在；先创建它")


def _cell(value: object, limit: int = MAX_CELL) -> str:
    text = "" if value is None else str(value)
    if len(text) > limit:
        cut = text[: limit - 20].rsplit("；", 1)[0]
        return f"{cut}；…（余下见 JSON 报告）"
    return text


def table_rows(report: MiningReport) -> list[list[str]]:
    rows = []
    for cluster in report.clusters:
        data = cluster.to_json()
        data["coverage"] = COVERAGE_LABELS.get(cluster.coverage, cluster.coverage)
        data["examples"] = " | ".join(cluster.examples)
        data["keywords"] = "、".join(cluster.keywords)
        data["rising"] = "是" if cluster.rising else ""
        data["hint"] = GAP_HINT if cluster.flag else ""
        data["categories"] = "；".join(f"{k} {n}" for k, n in cluster.categories.items())
        data["members"] = "；".join(f"{m.source_name}:{m.row}" for m in cluster.members)
        rows.append([_cell(data[key]) for key, _ in TABLE_COLUMNS])
    return rows


def write_report(report: MiningReport, path: Path) -> None:
    check_out_path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=2)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            os.replace(tmp, path)
        except OSError as err:
            raise InputError(f"写入 {path} 失败（{err.strerror or err}）") from err
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return
    # BOM so Excel opens the CSV as UTF-8 (editors double-click it).
    write_table(path, [title for _, title in TABLE_COLUMNS], table_rows(report),
                bom=path.suffix.lower() == ".csv")
