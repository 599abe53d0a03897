"""`bot stats`: the table, the JSON object, the options and their errors."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.stats_cmd import parse_moment
from bot.errors import InputError
from bot.store.base import Channel, Outcome, TransferReason, Turn
from bot.store.sql import SqlStore

D1 = datetime(2026, 3, 2, 9, 0)
D2 = datetime(2026, 3, 3, 14, 0)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Four sessions: D1 deflected (confirmed, F1), D1 transferred (low confidence),
    D2 abandoned, D2 work order."""
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BOT_KB_DIR", str(tmp_path / "no-kb"))
    url = f"sqlite:///{tmp_path / 'log.db'}"
    with SqlStore(url, clock=lambda: D2) as store:
        store.record_turn(
            Turn("a", Channel.CHAT, "居住证怎么办", D1, decision="answer", faq_id="F1")
        )
        store.end_session("a", Outcome.DEFLECTED, confirmed=True, at=D1)
        store.record_turn(Turn("b", Channel.VOICE, "社保卡丢了", D1, decision="handover"))
        store.end_session("b", Outcome.TRANSFERRED, reason=TransferReason.LOW_CONFIDENCE, at=D1)
        store.record_turn(Turn("c", Channel.CHAT, "公积金提取", D2))
        store.close_session("c", at=D2)
        store.record_turn(Turn("d", Channel.CHAT, "路灯坏了", D2))
        store.create_work_order("d", "路灯坏了", "幸福路", None, "市政")
    return url


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    assert main(["stats", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_totals(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "--db", db)
    assert (data["sessions"], data["deflected_confirmed"], data["transferred"]) == (4, 1, 1)
    assert (data["abandoned"], data["work_order"], data["deflection_rate"]) == (1, 1, 0.25)
    assert data["transfers_by_reason"] == {"low_confidence": 1}
    assert data["top_unanswered"] == [
        {"text": "公积金提取", "count": 1},
        {"text": "社保卡丢了", "count": 1},
    ]


def test_date_range_with_a_bare_until_date_includes_that_day(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = run_json(capsys, "--db", db, "--since", "2026-03-02", "--until", "2026-03-02")
    assert (data["sessions"], data["until"]) == (2, "2026-03-03T00:00:00")


def test_since_with_a_time(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "--db", db, "--since", "2026-03-03T13:59")["sessions"] == 2


def test_by_channel(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    groups = run_json(capsys, "--db", db, "--by", "channel")["groups"]
    assert [(g["key"], g["sessions"]) for g in groups] == [("chat", 3), ("voice", 1)]


def test_by_category_without_a_knowledge_base_says_unknown(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--json", "--db", db, "--by", "category"]) == 0
    out = capsys.readouterr()
    groups = json.loads(out.out)["groups"]
    assert [(g["key"], g["sessions"]) for g in groups] == [("未匹配", 3), ("未知", 1)]
    assert "读不了知识库" in out.err


def test_by_category_uses_the_knowledge_base(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kb" / "faq").mkdir(parents=True)
    (tmp_path / "kb" / "faq" / "huji.csv").write_text(
        "faq_id,category,question,similar_questions,answer,department,valid_from,valid_to\n"
        "F1,户籍,居住证怎么办理？,办居住证|居住证在哪办,到派出所办理。,公安局,,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("BOT_KB_DIR", str(tmp_path / "kb"))
    groups = run_json(capsys, "--db", db, "--by", "category")["groups"]
    assert [(g["key"], g["sessions"]) for g in groups] == [("未匹配", 3), ("户籍", 1)]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_text_report_is_aligned_chinese(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--db", db, "--by", "day"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "分流率 25.0%（已确认 25.0%，未确认 0.0%）" in lines
    assert any(line.split() == ["置信度低", "1"] for line in lines)
    group = lines[lines.index("按日期") + 1 :]
    assert group[0].split()[:3] == ["日期", "会话", "已结束"]
    assert [row.split()[:2] for row in group[1:]] == [["2026-03-02", "2"], ["2026-03-03", "2"]]
    assert len({_width(row) for row in group}) == 1  # every row ends in the same column


def test_close_idle_ends_stale_open_sessions(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with SqlStore(db) as store:
        store.record_turn(Turn("e", Channel.CHAT, "问题", datetime.now() - timedelta(hours=2)))
        store.record_turn(Turn("f", Channel.CHAT, "问题", datetime.now()))
    assert run_json(capsys, "--db", db)["open"] == 2
    data = run_json(capsys, "--db", db, "--close-idle")
    assert (data["open"], data["abandoned"]) == (1, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "Error: --since '2026-13-01' is not a real date"),
        (["--until", "yesterday"], "Error: --until 'yesterday' is not a date: use YYYY-MM-DD"),
        (["--since", "2026-03-03", "--until", "2026-03-01"], "is not before --until"),
        (["--top", "0"], "Error: --top 0 must be at least 1"),
        (["--db", "mysql://x/y"], "Error: --db 'mysql://x/y' is not a database URL"),
    ],
)
def test_bad_options_are_one_error_line(
    db: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["stats", "--db", db, *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_an_unknown_grouping_is_an_argument_error(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["stats", "--db", db, "--by", "week"])
    assert info.value.code == 1
    assert "Error: argument --by: invalid choice: 'week'" in capsys.readouterr().err


def test_a_missing_database_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--db", f"sqlite:///{tmp_path / 'none.db'}"]) == 1
    assert "Error: no deflection log at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_the_default_database_is_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("BOT_DATABASE_URL", raising=False)
    with SqlStore(f"sqlite:///{tmp_path / 'var' / 'bot.db'}") as store:
        store.record_turn(Turn("a", Channel.CHAT, "问题", D1))
    assert run_json(capsys)["sessions"] == 1


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2026-03-02", False, datetime(2026, 3, 2)),
        ("2026-03-02", True, datetime(2026, 3, 3)),
        ("2026-03-02T10:30", True, datetime(2026, 3, 2, 10, 30)),
        ("2026-03-02 10:30:15", False, datetime(2026, 3, 2, 10, 30, 15)),
    ],
)
def test_parse_moment(value: str, end: bool, expected: datetime) -> None:
    assert parse_moment(value, "--since", end=end) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "3/2/2026", "2026-03-02T25:00", ""])
def test_parse_moment_rejects(value: str) -> None:
    with pytest.raises(InputError, match="--since"):
        parse_moment(value, "--since")
