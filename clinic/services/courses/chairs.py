"""Chairs and their holds: which chairs take sessions, what holds them, and the claim rows behind a hold.

A session holds its chair through one `ChairClaim` per UTC quarter hour it touches, under a unique
constraint on (chair, quarter hour): the database, not a check in Python, decides who gets a chair. Claims
are inserted in time order, one savepoint per chair tried, so two bookings racing for the same chairs
wait on each other in one order and never deadlock.

Everything here is an inner step: it adds, flushes or deletes in the caller's unit of work, never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import Chair, ChairClaim, SessionStatus, TreatmentSession
from clinic.scheduling import Interval
from clinic.scheduling.courses import ChairHold, hold_units


def all_chairs() -> list[Chair]:
    """Every chair, in use or not, in creation order."""
    return list(db.session.scalars(select(Chair).order_by(Chair.id)))


def active_chair_ids() -> list[int]:
    """The chairs that take new sessions, in the order the planner tries them."""
    return list(db.session.scalars(select(Chair.id).where(Chair.is_active).order_by(Chair.id)))


def holds_between(starts: datetime, ends: datetime, *, leave_out: Iterable[int] = ()) -> list[ChairHold]:
    """Every chair hold overlapping starts..ends (sessions not cancelled), in one query; the sessions in
    `leave_out` (e.g. the one being moved) are left out."""
    query = select(TreatmentSession.chair_id, TreatmentSession.starts_at, TreatmentSession.ends_at).where(
        TreatmentSession.status != SessionStatus.CANCELLED,
        TreatmentSession.starts_at < ends,
        TreatmentSession.ends_at > starts,
    )
    skipped = list(leave_out)
    if skipped:
        query = query.where(TreatmentSession.id.not_in(skipped))
    return [ChairHold(chair, Interval(s, e)) for chair, s, e in db.session.execute(query)]


def _insert(chair_id: int, session_id: int, units: Sequence[datetime]) -> bool:
    """Insert the claims of `units` in one savepoint; False (and nothing kept) if any is taken."""
    if not units:
        return True
    rows = [{"chair_id": chair_id, "unit_start": unit, "session_id": session_id} for unit in sorted(units)]
    try:
        with db.session.begin_nested():
            db.session.execute(insert(ChairClaim), rows)
    except IntegrityError:
        return False
    return True


def claim(session: TreatmentSession, chairs: Sequence[int]) -> int | None:
    """Hold `session`'s time in the first of `chairs` that is free for all of it; returns that chair (also
    set on the session), or None when every one of them is taken for part of the time."""
    units = hold_units(Interval(session.starts_at, session.ends_at))
    for chair_id in dict.fromkeys(chairs):
        if _insert(chair_id, session.id, units):
            session.chair_id = chair_id
            return chair_id
    return None


def release(session: TreatmentSession) -> None:
    """Free the session's chair time at once: its claims go, the session row stays."""
    db.session.execute(delete(ChairClaim).where(ChairClaim.session_id == session.id))


def move(
    session: TreatmentSession, chairs: Sequence[int], starts_at: datetime, ends_at: datetime
) -> int | None:
    """Move the session's hold to starts_at..ends_at in the first of `chairs` free for it; returns the
    chair (the caller updates the session), or None (and the old hold untouched) when none is.

    The new quarter hours are claimed before the old ones are released, so a failed move leaves the
    session where it was; the quarter hours the old and new times share in the same chair are kept.
    """
    old_units = set(hold_units(Interval(session.starts_at, session.ends_at)))
    new_units = hold_units(Interval(starts_at, ends_at))
    wanted = set(new_units)
    for chair_id in dict.fromkeys(chairs):
        kept = old_units if chair_id == session.chair_id else set()
        if _insert(chair_id, session.id, [u for u in new_units if u not in kept]):
            stale = [u for u in old_units if chair_id != session.chair_id or u not in wanted]
            if stale:
                db.session.execute(
                    delete(ChairClaim).where(
                        ChairClaim.session_id == session.id,
                        ChairClaim.chair_id == session.chair_id,
                        ChairClaim.unit_start.in_(stale),
                    )
                )
            return chair_id
    return None
