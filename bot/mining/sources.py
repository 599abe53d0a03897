"""Rows to mine: ticket files (CSV/XLSX through bot.kb.tables) and the deflection log.

A file needs a text column; time, category and votes columns are optional. Columns not named
on the command line are looked for under the names hotline exports use; a named column that
is missing fails with the list of the file's columns. Rows whose text has nothing to match
(empty, punctuation, fillers) are skipped and counted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.errors import InputError
from bot.kb.tables import Table, read_table
from bot.mining.rows import LOG_SOURCE, MinedRow, SourceSummary
from bot.text.normalize import clean_display, is_meaningful

log = logging.getLogger(__name__)

# Looked for (exact, then case-insensitive) when the column is not named.
TEXT_COLUMNS = ("text", "question", "query", "问题", "留言主题", "标题", "诉求", "诉求内容", "内容")
TIME_COLUMNS = ("time", "date", "created_at", "at", "时间", "留言时间", "来电时间", "日期")
CATEGORY_COLUMNS = ("category", "一级分类", "分类", "类别")
VOTES_COLUMNS = ("votes", "点赞数")

_DATE_TIME = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?)?)?"
)
# Excel stores dates as days since 1899-12-30; a bare number in this range is such a date.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_DAYS = (20000.0, 80000.0)  # 1954 .. 2119


def parse_time(value: str) -> datetime | None:
    """A naive local time from the forms exports use (2019/2/28 11:25:05, ISO, 2019年2月28日,
    Excel day numbers); None when the cell holds none of them."""
    text = value.strip()
    if not text:
        return None
    match = _DATE_TIME.match(text)
    if match:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(y, mo, d, h, mi, s)
        except ValueError:
            return None
    try:
        days = float(text)
    except ValueError:
        return None
    if _EXCEL_DAYS[0] <= days <= _EXCEL_DAYS[1]:
        return _EXCEL_EPOCH + timedelta(days=days)
    return None


def _parse_votes(value: str) -> int | None:
    text = value.strip().replace(",", "")
    if not text:
        return 0
    try:
        return max(0, int(float(text)))
    except (ValueError, OverflowError):
        return None


def _column(table: Table, name: str | None, candidates: Sequence[str], what: str,
            option: str, required: bool, strict: bool = True) -> tuple[int | None, str]:
    """The index and header of the column named `name`, else the first candidate present.
    A named column that is missing fails, unless not `strict` and the column is optional."""
    if name:
        index = table.index_of(name)
        if index is None and not required and not strict:
            log.info("%s: no column %r (%s); read without it", table.source, name, what)
            return None, ""
        if index is None:
            raise InputError(
                f"{table.source}：没有名为 {name!r} 的列（{what}）；文件里的列有："
                f"{'、'.join(h for h in table.header if h) or '（无）'}；用 {option} 指定"
            )
        return index, table.header[index]
    for candidate in candidates:
        index = table.index_of(candidate)
        if index is not None:
            return index, table.header[index]
    if required and len([h for h in table.header if h]) == 1:
        return 0, table.header[0]  # a one-column file: that column is the text
    if required:
        raise InputError(
            f"{table.source}：找不到{what}列；文件里的列有："
            f"{'、'.join(h for h in table.header if h) or '（无）'}；用 {option} 指定"
        )
    return None, ""


def read_file_rows(
    path: Path,
    *,
    column: str | None = None,
    time_column: str | None = None,
    category_column: str | None = None,
    votes_column: str | None = None,
    since: datetime | None = None,
    encoding: str | None = None,
    strict: bool = True,
) -> tuple[list[MinedRow], SourceSummary]:
    """The questions of one CSV/XLSX file, with what was skipped and why.

    `strict=False` lets a named time/category/votes column be missing (one of several files
    may have votes and another categories); the text column is always required.
    """
    table = read_table(path, encoding=encoding)
    text_i, text_name = _column(table, column, TEXT_COLUMNS, "问题文本", "--column", True)
    time_i, time_name = _column(table, time_column, TIME_COLUMNS, "时间", "--time-column",
                                False, strict)
    cat_i, cat_name = _column(table, category_column, CATEGORY_COLUMNS, "类别",
                              "--category-column", False, strict)
    votes_i, votes_name = _column(table, votes_column, VOTES_COLUMNS, "点赞数",
                                  "--votes-column", False, strict)
    source = str(path.resolve())
    rows: list[MinedRow] = []
    empty = before = undated = bad_votes = 0
    for record in table.rows:
        text = clean_display(record.cell(text_i))  # type: ignore[arg-type]
        if not is_meaningful(text):
            empty += 1
            continue
        when = parse_time(record.cell(time_i)) if time_i is not None else None
        if time_i is not None and when is None:
            undated += 1
        if since is not None and when is not None and when < since:
            before += 1
            continue
        votes = 0
        if votes_i is not None:
            parsed = _parse_votes(record.cell(votes_i))
            if parsed is None:
                bad_votes += 1
            votes = parsed or 0
        category = clean_display(record.cell(cat_i)) if cat_i is not None else ""
        rows.append(MinedRow(source, record.number, text, when, category, votes))
    summary = SourceSummary(
        source=source,
        text_column=text_name,
        rows=len(rows),
        data_rows=len(table.rows),
        skipped_empty=empty,
        skipped_before_since=before,
        undated=undated,
        bad_votes=bad_votes,
        time_column=time_name,
        category_column=cat_name,
        votes_column=votes_name,
    )
    if empty:
        log.info("%s: skipped %d rows with no text in column %s", path, empty, text_name)
    return rows, summary


# -- the deflection log ---------------------------------------------------------------

# Turns that asked the FAQ engine something (not small talk, feedback or a choice).
_QUESTION_DECISIONS = ("answer", "clarify", "handover")
_NOT_QUESTIONS = ("greet", "goodbye", "thanks", "affirm", "deny", "choose_option",
                  "request_human", "complain")


def read_log_rows(
    store: Any, since: datetime | None = None, *, include_unconfirmed: bool = False
) -> tuple[list[MinedRow], SourceSummary]:
    """Questions the bot did not answer, from a `SqlStore`: every turn it handed over; the
    unanswered questions of sessions that ended transferred (not for a complaint) or
    abandoned; answers the citizen said did not help; with `include_unconfirmed`, answers
    in sessions that ended without the citizen confirming them."""
    from sqlalchemy import and_, func, or_, select

    from bot.store.feedback import confirmed_turn
    from bot.store.schema import sessions, turns

    decision = func.coalesce(turns.c.decision, "")
    intent = func.coalesce(turns.c.intent, "")
    # A greeting, a thank-you or a request for an agent is no question an entry could
    # answer, whatever the FAQ engine decided on its text (a request for a human is
    # recorded as a hand-over).
    is_question = and_(
        intent.not_in(_NOT_QUESTIONS),
        or_(decision.in_(_QUESTION_DECISIONS), decision == ""),
    )
    unanswered_session = or_(
        sessions.c.outcome == "abandoned",
        and_(sessions.c.outcome == "transferred",
             func.coalesce(sessions.c.reason, "") != "complaint"),
    )
    wanted = [
        decision == "handover",
        and_(unanswered_session, decision != "answer"),
        and_(sessions.c.reason == "negative_feedback", decision == "answer"),
    ]
    if include_unconfirmed:
        wanted.append(and_(sessions.c.outcome == "deflected", sessions.c.confirmed.is_(False),
                           decision == "answer"))
    # A question whose answer the citizen said helped is answered, however the session
    # ended later (e.g. a hand-over on another question).
    where = [is_question, or_(*wanted), turns.c.text != "", intent != "complain",
             ~confirmed_turn(turns)]
    if since is not None:
        where.append(turns.c.at >= since)
    statement = (
        select(turns.c.id, turns.c.text, turns.c.at)
        .join(sessions, sessions.c.session_id == turns.c.session_id)
        .where(*where)
        .order_by(turns.c.id)
    )
    records = store.read(lambda conn: conn.execute(statement).all())
    rows: list[MinedRow] = []
    empty = 0
    for turn_id, text, at in records:
        cleaned = clean_display(text or "")
        if not is_meaningful(cleaned):
            empty += 1
            continue
        rows.append(MinedRow(LOG_SOURCE, int(turn_id), cleaned, at))
    summary = SourceSummary(
        source=LOG_SOURCE, text_column="turns.text", rows=len(rows), data_rows=len(records),
        skipped_empty=empty, time_column="turns.at",
    )
    return rows, summary
