"""Deflection statistics for managers, computed in SQL over the deflection log.

Sessions are selected by when they started (`since` <= started_at < `until`); work orders by
when they were created. Open sessions (no outcome yet) are counted apart and are not in the
rates' denominator: a session still in progress has no outcome to count. To count idle ones
as ended, close them first (`SqlStore.close_idle_sessions`, `bot stats --close-idle`).
Rates are over ended sessions: deflected / ended, confirmed and unconfirmed apart.
A `channel` (one, or a collection) narrows everything to sessions of those channels (work
orders by their session's).
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import and_, case, exists, false, func, or_, select, true
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement

from bot.errors import InputError
from bot.store import feedback
from bot.store.base import Channel, Outcome, TransferReason
from bot.store.schema import feedback as feedback_table
from bot.store.schema import sessions, turns, work_orders

T = TypeVar("T")
GroupBy = Literal["day", "hour", "category", "channel"]
ChannelFilter = Channel | str | Iterable[Channel | str] | None
GROUP_BY: tuple[str, ...] = ("day", "hour", "category", "channel")
UNKNOWN_CATEGORY = "未知"  # an FAQ the knowledge base does not (or no longer) list
NO_FAQ = "未匹配"  # sessions that never reached an FAQ
# Transfers that mean the bot could not answer (a citizen asking for a human may not).
_UNANSWERED_REASONS = (
    TransferReason.LOW_CONFIDENCE.value,
    TransferReason.REPEATED_FAILURE.value,
    TransferReason.NEGATIVE_FEEDBACK.value,
)


@dataclass(frozen=True)
class OutcomeCounts:
    sessions: int = 0
    open: int = 0
    deflected_confirmed: int = 0
    deflected_unconfirmed: int = 0
    transferred: int = 0
    work_order: int = 0
    abandoned: int = 0

    @property
    def ended(self) -> int:
        return self.sessions - self.open

    @property
    def deflected(self) -> int:
        return self.deflected_confirmed + self.deflected_unconfirmed

    def _rate(self, part: int) -> float | None:
        return part / self.ended if self.ended else None

    @property
    def deflection_rate(self) -> float | None:
        return self._rate(self.deflected)

    @property
    def confirmed_rate(self) -> float | None:
        return self._rate(self.deflected_confirmed)

    @property
    def unconfirmed_rate(self) -> float | None:
        return self._rate(self.deflected_unconfirmed)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)
        out.update(ended=self.ended, deflected=self.deflected)
        for name in ("deflection_rate", "confirmed_rate", "unconfirmed_rate"):
            value = getattr(self, name)
            out[name] = None if value is None else round(value, 4)
        return out


@dataclass(frozen=True)
class GroupRow:
    key: str
    counts: OutcomeCounts

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, **self.counts.to_dict()}


@dataclass(frozen=True)
class FaqHits:
    faq_id: str
    sessions: int  # sessions the bot answered with this entry
    confirmed: int  # ... where the citizen said it helped (bot.store.feedback)
    negative: int  # ... where the citizen said it did not help (or a transfer said so)


@dataclass(frozen=True)
class Question:
    text: str  # the most frequent masked wording of the group
    count: int


@dataclass(frozen=True)
class Stats:
    since: datetime | None
    until: datetime | None
    counts: OutcomeCounts
    transfers_by_reason: dict[str, int]
    work_orders: int
    work_orders_by_category: dict[str, int]
    feedback_positive: int  # answers the citizen said helped (bot.store.feedback.counts)
    feedback_negative: int  # ... said did not help
    top_faqs: tuple[FaqHits, ...]
    top_unanswered: tuple[Question, ...]
    agent_hour_of_day: tuple[int, ...]  # transferred sessions per hour 0-23
    agent_hourly: tuple[tuple[str, int], ...]  # ("YYYY-MM-DD HH:00", n), hours with any
    by: str | None = None
    groups: tuple[GroupRow, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            **self.counts.to_dict(),
            "transfers_by_reason": dict(self.transfers_by_reason),
            "work_orders": self.work_orders,
            "work_orders_by_category": dict(self.work_orders_by_category),
            "feedback": {"positive": self.feedback_positive, "negative": self.feedback_negative},
            "top_faqs": [asdict(f) for f in self.top_faqs],
            "top_unanswered": [asdict(q) for q in self.top_unanswered],
            "agent_hour_of_day": list(self.agent_hour_of_day),
            "agent_hourly": [{"hour": h, "transferred": n} for h, n in self.agent_hourly],
            "by": self.by,
            "groups": [g.to_dict() for g in self.groups],
        }


def normalise_question(text: str) -> str:
    """The grouping key of a question: the engine's matching form (bot.text.normalize)
    when available, else width and case folded with spaces and punctuation removed."""
    try:
        from bot.text.normalize import normalize
    except ImportError:  # the text package is optional for the store
        folded = unicodedata.normalize("NFKC", text).lower()
        return "".join(
            ch for ch in folded if not ch.isspace() and not unicodedata.category(ch).startswith("P")
        )
    return normalize(text)


def compute_stats(
    store_or_engine: Any,
    since: datetime | None = None,
    until: datetime | None = None,
    by: str | None = None,
    *,
    categories: Mapping[str, str] | None = None,
    top: int = 10,
    channel: ChannelFilter = None,
) -> Stats:
    """Statistics over sessions started in [since, until); `categories` maps faq_id to
    its category for `by="category"`; `channel` keeps those channels' sessions only."""
    only = _prepare(since, until, by, top, channel)
    names = {} if categories is None else categories  # `or {}` would drop an empty-looking lazy map
    read = _reader(store_or_engine)
    return read(lambda conn: _Query(conn, since, until, only).stats(by, names, top))


def compute_groups(
    store_or_engine: Any,
    since: datetime | None,
    until: datetime | None,
    by: str,
    *,
    categories: Mapping[str, str] | None = None,
    channel: ChannelFilter = None,
) -> tuple[GroupRow, ...]:
    """Only the per-group outcome counts of compute_stats (cheaper: one grouped query)."""
    only = _prepare(since, until, by, 1, channel)
    names = {} if categories is None else categories
    return _reader(store_or_engine)(lambda conn: _Query(conn, since, until, only).groups(by, names))


def compute_agent_hourly(
    store_or_engine: Any,
    since: datetime | None,
    until: datetime | None,
    *,
    channel: ChannelFilter = None,
) -> tuple[tuple[str, int], ...]:
    """Transferred sessions per clock hour ("YYYY-MM-DD HH:00", n), hours with any."""
    only = _prepare(since, until, None, 1, channel)
    return _reader(store_or_engine)(
        lambda conn: _Query(conn, since, until, only).agent_volume()[1]
    )


def _prepare(
    since: datetime | None,
    until: datetime | None,
    by: str | None,
    top: int,
    channel: ChannelFilter,
) -> tuple[str, ...] | None:
    """Check the arguments every query shares; return the channels' values (None: all)."""
    if by is not None and by not in GROUP_BY:
        raise InputError(f"cannot group statistics by {by!r}: use one of {', '.join(GROUP_BY)}")
    if since and until and since >= until:
        raise InputError(f"since {since.isoformat()} is not before until {until.isoformat()}")
    if top < 1:
        raise InputError(f"top must be at least 1, got {top}")
    if channel is None or channel == "":
        return None
    chosen = (channel,) if isinstance(channel, (str, Channel)) else tuple(channel)
    if not chosen:
        raise InputError("channel: an empty collection selects nothing; pass None for all")
    return tuple(sorted({_channel(c) for c in chosen}))


def _channel(value: Channel | str) -> str:
    try:
        return Channel(value).value
    except ValueError as err:
        allowed = ", ".join(c.value for c in Channel)
        raise InputError(f"channel {value!r} is not one of {allowed}") from err


def _reader(source: Any) -> Callable[[Callable[[Connection], T]], T]:
    if isinstance(source, Engine):

        def read(work: Callable[[Connection], T]) -> T:
            with source.connect() as conn:
                return work(conn)

        return read
    if hasattr(source, "read"):
        return source.read  # type: ignore[no-any-return]
    raise InputError(f"compute_stats needs a SqlStore or an Engine, got {type(source).__name__}")


class _Query:
    def __init__(
        self,
        conn: Connection,
        since: datetime | None,
        until: datetime | None,
        channels: tuple[str, ...] | None = None,
    ) -> None:
        self.conn = conn
        self.since = since
        self.until = until
        self.channels = channels
        self.pg = conn.dialect.name == "postgresql"

    def _range(self, column: Any) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = [true()]
        if self.since:
            parts.append(column >= self.since)
        if self.until:
            parts.append(column < self.until)
        return and_(*parts)

    def _sessions(self) -> ColumnElement[bool]:
        """The sessions counted: started in the range, of the channel if one is given."""
        where = self._range(sessions.c.started_at)
        if self.channels:
            where = and_(where, sessions.c.channel.in_(self.channels))
        return where

    def _work_orders(self) -> ColumnElement[bool]:
        where = self._range(work_orders.c.created_at)
        if self.channels:
            of_channel = select(sessions.c.session_id).where(
                sessions.c.channel.in_(self.channels)
            )
            where = and_(where, work_orders.c.session_id.in_(of_channel))
        return where

    def _format(self, column: Any, sqlite_fmt: str, pg_fmt: str) -> Any:
        # Stored times are local already, so formatting is all the bucketing needed.
        return func.to_char(column, pg_fmt) if self.pg else func.strftime(sqlite_fmt, column)

    def stats(self, by: str | None, categories: Mapping[str, str], top: int) -> Stats:
        in_range = self._sessions()
        counts = self._counts(None, in_range).get("", OutcomeCounts())
        reasons = self._pairs(
            select(sessions.c.reason, func.count())
            .where(in_range, sessions.c.outcome == Outcome.TRANSFERRED.value)
            .group_by(sessions.c.reason)
        )
        orders = self._pairs(
            select(work_orders.c.category, func.count())
            .where(self._work_orders())
            .group_by(work_orders.c.category)
        )
        hour_of_day, hourly = self.agent_volume()
        helped, not_helped = feedback.counts(self.conn, in_range)
        return Stats(
            since=self.since,
            until=self.until,
            counts=counts,
            transfers_by_reason=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            work_orders=sum(orders.values()),
            work_orders_by_category=dict(sorted(orders.items(), key=lambda kv: (-kv[1], kv[0]))),
            feedback_positive=helped,
            feedback_negative=not_helped,
            top_faqs=self._top_faqs(in_range, top),
            top_unanswered=self._top_unanswered(in_range, top),
            agent_hour_of_day=hour_of_day,
            agent_hourly=hourly,
            by=by,
            groups=self.groups(by, categories) if by else (),
        )

    def _pairs(self, statement: Any) -> dict[str, int]:
        return {"unknown" if k is None else str(k): int(n) for k, n in self.conn.execute(statement)}

    def _counts(self, key: Any | None, where: ColumnElement[bool]) -> dict[str, OutcomeCounts]:
        """Outcome counts per value of `key` (one entry, "", when key is None)."""
        columns = [sessions.c.outcome, sessions.c.confirmed]
        # Group by the label: PostgreSQL does not see two bound copies of a format string
        # (to_char(at, $1) in SELECT, to_char(at, $2) in GROUP BY) as one expression.
        keys = [] if key is None else [key.label("k")]
        groups = [] if key is None else ["k"]
        result = self.conn.execute(
            select(*keys, *columns, func.count()).where(where).group_by(*groups, *columns)
        )
        rows: list[tuple[Any, ...]] = [tuple(row) for row in result]
        if key is None:
            rows = [(None, *row) for row in rows]
        tallies: dict[str, Counter[str]] = defaultdict(Counter)
        for k, outcome, confirmed, n in rows:
            name = outcome or "open"
            if outcome == Outcome.DEFLECTED.value:
                name = "deflected_confirmed" if confirmed else "deflected_unconfirmed"
            tallies["" if k is None else str(k)][name] += int(n)
            tallies["" if k is None else str(k)]["sessions"] += int(n)
        return {k: OutcomeCounts(**t) for k, t in tallies.items()}

    def groups(self, by: str, categories: Mapping[str, str]) -> tuple[GroupRow, ...]:
        in_range = self._sessions()
        if by == "category":
            faq = func.coalesce(sessions.c.faq_id, sessions.c.answered_faq_id)
            merged: dict[str, Counter[str]] = defaultdict(Counter)
            for faq_id, counts in self._counts(faq, in_range).items():
                name = categories.get(faq_id, UNKNOWN_CATEGORY) if faq_id else NO_FAQ
                merged[name].update(asdict(counts))
            rows = {k: OutcomeCounts(**c) for k, c in merged.items()}
            ordered = sorted(rows.items(), key=lambda kv: (-kv[1].sessions, kv[0]))
        else:
            key = {
                "day": self._format(sessions.c.started_at, "%Y-%m-%d", "YYYY-MM-DD"),
                "hour": self._format(sessions.c.started_at, "%H", "HH24"),
                "channel": sessions.c.channel,
            }[by]
            ordered = sorted(self._counts(key, in_range).items())
        return tuple(GroupRow(k, c) for k, c in ordered)

    def _top_faqs(self, in_range: ColumnElement[bool], top: int) -> tuple[FaqHits, ...]:
        faq = func.coalesce(sessions.c.faq_id, sessions.c.answered_faq_id)
        def said(helped: bool) -> ColumnElement[bool]:
            # Feedback on this entry anywhere in the session, whatever its last outcome.
            return exists(
                select(feedback_table.c.id).where(
                    feedback_table.c.session_id == sessions.c.session_id,
                    feedback_table.c.faq_id == faq,
                    feedback_table.c.helped == (true() if helped else false()),
                )
            )

        confirmed = or_(
            and_(sessions.c.outcome == Outcome.DEFLECTED.value, sessions.c.confirmed == true()),
            said(True),
        )
        negative = or_(sessions.c.reason == TransferReason.NEGATIVE_FEEDBACK.value, said(False))
        rows = self.conn.execute(
            select(
                faq.label("faq"),
                func.count(),
                func.sum(case((confirmed, 1), else_=0)),
                func.sum(case((negative, 1), else_=0)),
            )
            .where(in_range, faq.is_not(None))
            .group_by(faq)
            .order_by(func.count().desc(), faq)
            .limit(top)
        )
        return tuple(FaqHits(str(f), int(n), int(c or 0), int(g or 0)) for f, n, c, g in rows)

    def _top_unanswered(self, in_range: ColumnElement[bool], top: int) -> tuple[Question, ...]:
        unanswered = (sessions.c.outcome == Outcome.ABANDONED.value) | and_(
            sessions.c.outcome == Outcome.TRANSFERRED.value,
            sessions.c.reason.in_(_UNANSWERED_REASONS),
        )
        # The session's first real question: skip small talk ("reply") and turns that
        # normalise to nothing (greetings, fillers); a session counts once.
        rows = self.conn.execute(
            select(turns.c.session_id, turns.c.text)
            .join(sessions, sessions.c.session_id == turns.c.session_id)
            .where(
                in_range,
                unanswered,
                turns.c.text != "",
                func.coalesce(turns.c.decision, "") != "reply",
                ~feedback.confirmed_turn(),  # an answer that helped was no failure
            )
            .order_by(turns.c.session_id, turns.c.id)
        )
        seen: set[str] = set()
        groups: dict[str, Counter[str]] = defaultdict(Counter)
        for session_id, text in rows:
            if session_id in seen:
                continue
            key = normalise_question(text)
            if key:
                seen.add(session_id)
                groups[key][text] += 1
        ranked = sorted(
            (Question(_most_common(w), sum(w.values())) for w in groups.values()),
            key=lambda q: (-q.count, q.text),
        )
        return tuple(ranked[:top])

    def agent_volume(self) -> tuple[tuple[int, ...], tuple[tuple[str, int], ...]]:
        in_range = self._sessions()
        # A transfer reaches an agent when the session ends, so bucket by ended_at.
        at = func.coalesce(sessions.c.ended_at, sessions.c.started_at)
        transferred = and_(in_range, sessions.c.outcome == Outcome.TRANSFERRED.value)
        hour = self._format(at, "%H", "HH24").label("k")
        by_hour = self._pairs(select(hour, func.count()).where(transferred).group_by("k"))
        label = self._format(at, "%Y-%m-%d %H:00", "YYYY-MM-DD HH24:00").label("k")
        hourly = self._pairs(select(label, func.count()).where(transferred).group_by("k"))
        return (
            tuple(by_hour.get(f"{h:02d}", 0) for h in range(24)),
            tuple(sorted(hourly.items())),
        )


def _most_common(wordings: Counter[str]) -> str:
    """The most frequent wording; ties go to the first in sort order, for stable output."""
    return min(wordings, key=lambda t: (-wordings[t], t))
