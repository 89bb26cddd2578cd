"""The day's chair board: every chair with its sessions, their phases, discharge time, driver and REMS.

Four statements whatever the day holds: settings and hours, closures, chairs, and the day's sessions with
their course, request, kind and REMS enrollment in one join. The layout is the pure `chair_board`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import aliased, contains_eager

from clinic.extensions import db
from clinic.models import (
    Chair,
    ConsultationRequest,
    RemsEnrolment,
    SessionStatus,
    TreatmentCourse,
    TreatmentSession,
)
from clinic.scheduling import ClosureRule, local_instant
from clinic.scheduling.chair_board import Board, BoardSession, lay_out
from clinic.services.courses import chairs
from clinic.services.rules.read import schedule_for


@dataclass(frozen=True, slots=True)
class BoardItem:
    """What the board shows about one session."""

    session: TreatmentSession
    enrolment: RemsEnrolment | None

    @property
    def course(self) -> TreatmentCourse:
        return self.session.course

    @property
    def request(self) -> ConsultationRequest:
        return self.session.course.request


@dataclass(frozen=True, slots=True)
class DayBoard:
    board: Board[BoardItem]
    chairs: list[Chair]  # in the board's column order
    tz: ZoneInfo
    closure: ClosureRule | None  # a whole-day closure
    part_closures: list[ClosureRule]
    cancelled: list[TreatmentSession]

    @property
    def session_count(self) -> int:
        return len(self.board.sessions)


def day_board(day: date) -> DayBoard:
    schedule = schedule_for(day, day)
    tz = schedule.tz
    starts = local_instant(day, time(0), tz)
    ends = local_instant(day + timedelta(days=1), time(0), tz)
    enrolment = aliased(RemsEnrolment)
    rows = db.session.execute(
        select(TreatmentSession, enrolment)
        .join(TreatmentSession.course)
        .join(TreatmentCourse.request)
        .join(TreatmentCourse.kind)
        .outerjoin(enrolment, enrolment.request_id == TreatmentCourse.request_id)
        .where(TreatmentSession.starts_at >= starts, TreatmentSession.starts_at < ends)
        .options(
            contains_eager(TreatmentSession.course).contains_eager(TreatmentCourse.request),
            contains_eager(TreatmentSession.course).contains_eager(TreatmentCourse.kind),
        )
        .order_by(TreatmentSession.starts_at, TreatmentSession.id)
    ).all()
    every_chair = chairs.all_chairs()
    held = [(s, e) for s, e in rows if s.status != SessionStatus.CANCELLED]
    used = {s.chair_id for s, _ in held}
    shown = [c for c in every_chair if c.is_active or c.id in used]
    board = lay_out(
        day,
        schedule.hours[day.weekday()],
        tz,
        [c.id for c in shown],
        [
            BoardSession(
                s.chair_id,
                s.starts_at,
                s.starts_at + s.course.kind.dose,
                s.care_ends_at,
                s.ends_at,
                BoardItem(s, e),
            )
            for s, e in held
        ],
    )
    whole = next((c for c in schedule.closures if c.is_whole_day and c.covers(day)), None)
    parts = [c for c in schedule.closures if not c.is_whole_day and c.covers(day)]
    cancelled = [s for s, _ in rows if s.status == SessionStatus.CANCELLED]
    return DayBoard(board, shown, tz, whole, parts, cancelled)
