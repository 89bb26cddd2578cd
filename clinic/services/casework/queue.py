"""The staff queue: filters, ordering, counts and the 12-week overview, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import ColumnElement, Select, func, select

from clinic.extensions import db
from clinic.models import Booking, CheckIn, ConsultationRequest, RequestTally, StaffUser
from clinic.scheduling.slots import local_instant
from clinic.services.casework import search
from clinic.triage.enums import Phq9Band, Priority, RequestStatus
from clinic.triage.workflow import OPEN_STATUSES, age_steady_until, describe_age, is_overdue, response_due

PER_PAGE = 25
OVERVIEW_WEEKS = 12
R = ConsultationRequest


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """What the staff asked the queue for; every field is optional and they combine."""

    status: RequestStatus | None = None
    open_only: bool = False  # the default view: requests still waiting for the clinic
    priority: Priority | None = None
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    assigned_to_id: int | None = None  # `assigned=me`

    def names(self) -> list[str]:
        """The names of the filters in use, for the audit log (never their values)."""
        used = {
            "status": self.status,
            "priority": self.priority,
            "q": self.q,
            "from": self.date_from,
            "to": self.date_to,
            "assigned": self.assigned_to_id,
        }
        return [name for name, value in used.items() if value]


def filter_conditions(
    filters: QueueFilters, tz: ZoneInfo, *, with_status: bool = True
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if with_status and filters.status:
        conditions.append(R.status == filters.status)
    elif with_status and filters.open_only:
        # The values written into the SQL, as in the predicate of ix_requests_open_queue, so PostgreSQL
        # can prove the partial index applies even to a prepared statement's generic plan.
        open_values = [status.value for status in OPEN_STATUSES]
        conditions.append(R.status.in_(sa.bindparam("open_statuses", open_values, literal_execute=True)))
    if filters.priority:
        # The rank, not the name: ix_requests_status_queue (status, priority_rank, appointment_at, id) then
        # serves the filter and the queue's order together.
        conditions.append(R.priority_rank == Priority(filters.priority).rank)
    if filters.q:
        # Exact matches through the blind indexes: names, email and phone are encrypted (search.py).
        conditions.append(search.matches(filters.q))
    if filters.date_from:
        conditions.append(R.appointment_at >= local_instant(filters.date_from, time(0), tz))
    if filters.date_to:
        conditions.append(R.appointment_at < local_instant(filters.date_to + timedelta(days=1), time(0), tz))
    if filters.assigned_to_id:
        conditions.append(R.assigned_to_id == filters.assigned_to_id)
    return conditions


def ordered(stmt: Select) -> Select:
    """Urgent first, then high, then routine; within each, those nobody has contacted yet, oldest (most
    overdue) first, then the rest by slot time (workflow.queue_position). Every key is a column of the
    queue indexes, never NULL, so the index is read in order and nothing is sorted."""
    return stmt.order_by(R.priority_rank, R.queue_group, R.queue_at, R.id)


@dataclass(frozen=True, slots=True)
class BookingFlag:
    """What the queue shows of a request's active booking: its unresolved flag (badges.flag_badge)."""

    flagged_at: datetime
    flag_reason: str | None
    flag_resolved_at: None = None  # only unresolved flags are read


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One queue row as read: exactly the columns the queue shows, no ORM object (the names and the phone
    are the only encrypted values, decrypted as they are read)."""

    id: int
    reference: str
    first_name: str
    last_name: str
    phone: str
    priority: Priority
    phq9_score: int
    phq9_band: Phq9Band
    appointment_at: datetime | None
    status: RequestStatus
    patient_cancelled_at: datetime | None
    follow_up_on: date | None
    created_at: datetime
    assignee: str | None  # the assigned colleague's name
    flag: BookingFlag | None
    latest_score: int | None = None  # the PHQ-9 score of the latest answered check-in

    @property
    def active_booking(self) -> BookingFlag | None:
        return self.flag

    @property
    def latest_change(self) -> int | None:
        """The latest check-in's score against the intake's baseline: negative is better."""
        return None if self.latest_score is None else self.latest_score - self.phq9_score


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue and where it sits among the others (the pagination links)."""

    items: list[QueueItem]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(-(-self.total // self.per_page), 1) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def _unresolved_flag(column: sa.ColumnElement) -> sa.ScalarSelect:
    """`column` of the request's active booking when it carries a flag nobody has resolved (else NULL)."""
    return (
        select(column)
        .where(
            Booking.request_id == R.id,
            Booking.cancelled_at.is_(None),
            Booking.flagged_at.is_not(None),
            Booking.flag_resolved_at.is_(None),
        )
        .order_by(Booking.id)
        .limit(1)
        .scalar_subquery()
    )


def _latest_check_in_score() -> sa.ScalarSelect:
    """The score of the request's latest answered check-in (NULL when none is answered)."""
    return (
        select(CheckIn.phq9_score)
        .where(CheckIn.request_id == R.id, CheckIn.answered_at.is_not(None))
        .order_by(CheckIn.answered_at.desc(), CheckIn.id.desc())
        .limit(1)
        .scalar_subquery()
    )


QUEUE_COLUMNS = (
    R.id,
    R.reference,
    R.first_name,
    R.last_name,
    R.phone,
    R.priority,
    R.phq9_score,
    R.phq9_band,
    R.appointment_at,
    R.status,
    R.patient_cancelled_at,
    R.follow_up_on,
    R.created_at,
)


def page(
    filters: QueueFilters,
    page_number: int,
    *,
    tz: ZoneInfo,
    per_page: int = PER_PAGE,
    total: int | None = None,
) -> QueuePage:
    """One page of the queue: one statement when the caller knows the total (`QueueCounts.matching`), two
    when it must be counted. Rows are read as columns (with the assignee's name, the active booking's
    unresolved flag and the latest check-in's score), never as ORM objects; a page past the last is empty."""
    conditions = filter_conditions(filters, tz)
    per_page = min(max(per_page, 1), 100)
    page_number = max(page_number, 1)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(R).where(*conditions)) or 0
    stmt = ordered(
        select(
            *QUEUE_COLUMNS,
            StaffUser.name,
            _unresolved_flag(Booking.flagged_at),
            _unresolved_flag(Booking.flag_reason),
            _latest_check_in_score(),
        )
        .outerjoin(StaffUser, StaffUser.id == R.assigned_to_id)
        .where(*conditions)
    )
    items = [
        QueueItem(
            *row[:13],
            assignee=row[13],
            flag=BookingFlag(row[14], row[15]) if row[14] else None,
            latest_score=row[16],
        )
        for row in db.session.execute(stmt.limit(per_page).offset((page_number - 1) * per_page))
    ]
    return QueuePage(items, page_number, per_page, total)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A request as the queue shows it, with its response target worked out."""

    request: ConsultationRequest | QueueItem
    booking: Booking | BookingFlag | None
    due_at: datetime
    overdue: bool
    age: str


def open_weekdays(hours: dict[int, Any]) -> frozenset[int]:
    """The weekdays with opening hours: the clinic's business days (Mon–Sat if none are set)."""
    return frozenset(day for day, interval in hours.items() if interval is not None) or frozenset(range(6))


def rows(
    requests: list[ConsultationRequest] | list[QueueItem],
    *,
    now: datetime,
    tz: ZoneInfo,
    business_days: frozenset[int],
) -> list[QueueRow]:
    result = []
    for request in requests:
        due = response_due(request.priority, request.created_at, tz=tz, open_weekdays=business_days)
        late = is_overdue(
            request.priority, request.status, request.created_at, now=now, tz=tz, open_weekdays=business_days
        )
        result.append(
            QueueRow(request, request.active_booking, due, late, describe_age(request.created_at, now))
        )
    return result


def steady_until(rows: list[QueueRow], *, now: datetime, tz: ZoneInfo) -> datetime:
    """When the clock alone next changes what the queue shows for `rows`: an age, a response target
    passing (a new request turning overdue), or a new day in the clinic (follow-ups due today, the
    overview's weeks)."""
    until = local_instant(now.astimezone(tz).date() + timedelta(days=1), time(0), tz)
    for row in rows:
        until = min(until, age_steady_until(row.request.created_at, now))
        if RequestStatus(row.request.status) == RequestStatus.NEW and now < row.due_at:
            until = min(until, row.due_at)
    return until


@dataclass(slots=True)
class QueueCounts:
    by_status: dict[RequestStatus, int] = field(default_factory=dict)
    urgent_open: int = 0
    urgent_new: int = 0  # not contacted yet
    matching: int | None = None  # requests the queue's filters select, when known without a count
    # The tallies as read (each pair's count and change counter): different after any request is added,
    # removed or moved, so the overview computed for one value holds until the next.
    revision: tuple | None = None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def open(self) -> int:
        return sum(self.by_status[status] for status in OPEN_STATUSES)


def counts(filters: QueueFilters, *, tz: ZoneInfo) -> QueueCounts:
    """Requests per status under the other filters, and the urgent requests still open (any filter).

    Without a search, date or assignee filter, one read of `request_tallies` (21 rows kept by triggers)
    answers it all, whatever the size of the history, and also gives the number of requests the page
    lists. With one, the requests are grouped under those filters (two statements).
    """
    if filters.q or filters.date_from or filters.date_to or filters.assigned_to_id:
        return _counted(filters, tz)
    result = QueueCounts(by_status=dict.fromkeys(RequestStatus, 0))
    wanted = Priority(filters.priority) if filters.priority else None
    tallies = db.session.execute(
        select(RequestTally.status, RequestTally.priority, RequestTally.n, RequestTally.changes).order_by(
            RequestTally.status, RequestTally.priority
        )
    ).all()
    result.revision = tuple(tuple(row) for row in tallies)
    for status, priority, number, _ in tallies:
        status, priority = RequestStatus(status), Priority(priority)
        if wanted is None or priority == wanted:
            result.by_status[status] += number
        if priority == Priority.URGENT and status in OPEN_STATUSES:
            result.urgent_open += number
            if status == RequestStatus.NEW:
                result.urgent_new = number
    if filters.status:
        result.matching = result.by_status[RequestStatus(filters.status)]
    elif filters.open_only:
        result.matching = result.open
    else:
        result.matching = result.total
    return result


def _counted(filters: QueueFilters, tz: ZoneInfo) -> QueueCounts:
    result = QueueCounts(by_status=dict.fromkeys(RequestStatus, 0))
    rows = db.session.execute(
        select(R.status, func.count())
        .where(*filter_conditions(filters, tz, with_status=False))
        .group_by(R.status)
    )
    for status, number in rows:
        result.by_status[RequestStatus(status)] = number
    urgent = db.session.execute(
        select(R.status, func.count())
        .where(R.priority_rank == Priority.URGENT.rank, R.status.in_(OPEN_STATUSES))
        .group_by(R.status)
    )
    for status, number in urgent:
        result.urgent_open += number
        if RequestStatus(status) == RequestStatus.NEW:
            result.urgent_new = number
    return result


def staff_names() -> list[tuple[int, str]]:
    """Active staff, for the assignment choices."""
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.name).where(StaffUser.is_active.is_(True)).order_by(StaffUser.name)
    )
    return [(user_id, name) for user_id, name in rows]


@dataclass(frozen=True, slots=True)
class Week:
    starts_on: date  # the local Monday
    by_priority: dict[Priority, int]

    @property
    def total(self) -> int:
        return sum(self.by_priority.values())


@dataclass(frozen=True, slots=True)
class Overview:
    weeks: list[Week]
    bands: dict[Phq9Band, int]

    @property
    def total(self) -> int:
        return sum(self.bands.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "weeks": [
                {"week": w.starts_on.isoformat(), **{p.value: n for p, n in w.by_priority.items()}}
                for w in self.weeks
            ],
            "bands": {b.value: n for b, n in self.bands.items()},
        }


def overview(
    *, now: datetime, tz: ZoneInfo, weeks: int = OVERVIEW_WEEKS, revision: tuple | None = None
) -> Overview:
    """Requests per local week by priority, and the PHQ-9 band mix, over the last `weeks` weeks.

    With `revision` (QueueCounts.revision), this process keeps the result until the tallies change or a
    new week starts: a request's creation time and PHQ-9 band never change after intake, so only a
    request added, removed or re-triaged changes the overview, and each of those changes the tallies.
    The queue then draws the overview with no query of its own, however many requests there are.
    """
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.weekday())
    key = (revision, this_monday, tz.key, weeks)
    if revision is not None:
        kept = current_app.extensions.get("queue_overview")
        if kept is not None and kept[0] == key:
            return kept[1]
    result = _overview(this_monday, now=now, tz=tz, weeks=weeks)
    if revision is not None:
        current_app.extensions["queue_overview"] = (key, result)
    return result


def _overview(this_monday: date, *, now: datetime, tz: ZoneInfo, weeks: int) -> Overview:
    """One grouped query. The week of each request is a CASE over the weeks' start instants, computed in
    Python in the clinic's timezone, so the bucketing is exact on SQLite and PostgreSQL alike (neither
    has to know the timezone, and DST changes fall where they should). The range reads the covering
    index ix_requests_created alone.
    """
    mondays = [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    starts = [local_instant(monday, time(0), tz) for monday in mondays]
    bucket = sa.case(
        *((R.created_at < starts[i + 1], i) for i in range(weeks - 1)),
        else_=weeks - 1,
    ).label("week")
    # Grouped over a subquery: PostgreSQL binds the CASE's parameters separately in SELECT and GROUP BY
    # and would not see them as one expression.
    inner = (
        select(bucket, R.priority.label("priority"), R.phq9_band.label("band"))
        .where(R.created_at >= starts[0], R.created_at <= now.astimezone(UTC))
        .subquery()
    )
    rows = db.session.execute(
        select(inner.c.week, inner.c.priority, inner.c.band, func.count()).group_by(
            inner.c.week, inner.c.priority, inner.c.band
        )
    )
    per_week = [dict.fromkeys(Priority, 0) for _ in range(weeks)]
    bands = dict.fromkeys(Phq9Band, 0)
    for week, priority, band, number in rows:
        per_week[int(week)][Priority(priority)] += number
        bands[Phq9Band(band)] += number
    return Overview([Week(monday, per_week[i]) for i, monday in enumerate(mondays)], bands)
