"""clinic.services.courses.booking: a whole course booked at once, all or nothing: the gate, the chairs'
claims and the emails, on both databases."""

from datetime import UTC, date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import (
    AuditEvent,
    ChairClaim,
    OutboxMessage,
    TreatmentCourse,
    TreatmentSession,
)
from clinic.scheduling.courses import hold_units
from clinic.scheduling.slots import Interval
from clinic.services.courses import booking, chairs, proposals
from clinic.services.courses.errors import CourseConflict, CourseInvalid, CourseRefused
from clinic.timeutil import utcnow
from tests.fixtures_courses import (
    DRUG_WORDS,
    FIRST_MONDAY,
    INFUSION_DAYS,
    NY,
    SPRAY_DAYS,
    local,
    spray_starts,
)


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(TreatmentCourse)),
        db.session.scalar(select(func.count()).select_from(TreatmentSession)),
        db.session.scalar(select(func.count()).select_from(ChairClaim)),
    )


def test_booking_stores_every_session_with_its_claims_and_emails_the_patient(
    app, completed_request, enrol, book, sent
):
    request_id = completed_request(modality="nasal_spray", first_name="Marisol")
    enrol(request_id)
    sent.clear()  # the consultation's own emails
    course_id = book(request_id, "nasal_spray", spray_starts())
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        assert [s.number for s in course.sessions] == list(range(1, 13))
        first = course.sessions[0]
        assert first.starts_at == local(SPRAY_DAYS[0]).astimezone(UTC)
        assert first.care_ends_at - first.starts_at == timedelta(minutes=135)  # discharge not before
        assert first.ends_at - first.starts_at == timedelta(minutes=150)
        assert {s.chair_id for s in course.sessions} == {1}
        claims = db.session.scalars(select(ChairClaim).where(ChairClaim.session_id == first.id)).all()
        assert sorted(c.unit_start for c in claims) == hold_units(Interval(first.starts_at, first.ends_at))
        assert counts() == (1, 12, 12 * 10)

        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "course_booked"))
        assert message.sent_at is not None  # sent after the commit; the row then keeps no body
        (email,) = sent
        assert email.subject == "Your appointment with Northfield Clinic"
        everything = (email.subject + email.body + "".join(str(a[0]) for a in email.alternatives)).lower()
        ((filename, ics, mimetype),) = email.attachments
        assert (filename, mimetype) == ("appointments.ics", "text/calendar")
        assert not [w for w in DRUG_WORDS if w in everything or w in ics.lower()]
        assert "Marisol" in email.body and "/courses/" in email.body
        events = list(Calendar.from_ical(ics).walk("VEVENT"))
        assert len(events) == 12
        assert {e["dtstart"].params["TZID"] for e in events} == {"America/New_York"}
        assert {str(e["summary"]) for e in events} == {"Your appointment with Northfield Clinic"}
        assert events[5]["dtstart"].dt == local(SPRAY_DAYS[5])
        assert events[5]["dtend"].dt == local(SPRAY_DAYS[5], 11, 15)  # dose and monitoring
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.booked"))
        assert audit.record_id == request_id and audit.details["sessions"] == 12


def test_esketamine_without_rems_enrolment_is_refused_and_nothing_is_stored(app, completed_request):
    request_id = completed_request(modality="nasal_spray")
    with app.app_context():
        with pytest.raises(CourseRefused) as refused:
            booking.book_course(request_id, "nasal_spray", spray_starts(), actor_id=None, now=utcnow())
        assert refused.value.reasons == [proposals.NO_REMS]
        assert counts() == (0, 0, 0)
        assert (
            db.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "course_booked")
            )
            == 0
        )


def test_a_consultation_not_yet_completed_gets_no_course(app, make_request, course_now):
    request_id = make_request(status="scheduled")
    with app.app_context():
        with pytest.raises(CourseRefused, match="consultation is completed"):
            booking.book_course(
                request_id, "infusion", [local(d) for d in INFUSION_DAYS], actor_id=None, now=utcnow()
            )
        assert counts() == (0, 0, 0)


def test_a_second_active_course_for_the_same_patient_is_refused(app, completed_request, book):
    request_id = completed_request()
    book(request_id, "infusion", [local(d) for d in INFUSION_DAYS])
    with app.app_context():
        with pytest.raises(CourseRefused, match="already has an active course"):
            booking.book_course(
                request_id, "infusion", [local(d, 13) for d in INFUSION_DAYS], actor_id=None, now=utcnow()
            )


def test_the_third_course_at_the_same_times_finds_both_chairs_held(app, completed_request, enrol, book):
    ids = [completed_request(modality="nasal_spray", email=f"p{i}@example.com") for i in range(3)]
    for request_id in ids:
        enrol(request_id)
    book(ids[0], "nasal_spray", spray_starts())
    second = book(ids[1], "nasal_spray", spray_starts())
    with app.app_context():
        assert {s.chair_id for s in db.session.get(TreatmentCourse, second).sessions} == {2}
        before = counts()
        with pytest.raises(CourseConflict) as conflict:
            booking.book_course(ids[2], "nasal_spray", spray_starts(), actor_id=None, now=utcnow())
        assert counts() == before
        lost = conflict.value.lost
        assert [s.number for s in lost] == list(range(1, 13))
        for session in lost:
            assert session.alternatives, f"no alternative for session {session.number}"
            for alternative in session.alternatives:
                assert (
                    alternative.starts_at >= session.starts_at + timedelta(minutes=150)
                    or (alternative.starts_at + timedelta(minutes=150) <= session.starts_at)
                    or alternative.starts_at.astimezone(NY).date() != session.starts_at.astimezone(NY).date()
                )


def test_a_chair_taken_after_the_check_is_decided_by_the_database(app, completed_request, book, monkeypatch):
    """Another booking commits between our check and our claims: the unique constraint refuses ours, the
    whole course rolls back, and the answer lists the sessions lost with alternatives."""
    first, second = completed_request(email="a@example.com"), completed_request(email="b@example.com")
    starts = [local(d) for d in INFUSION_DAYS]
    book(first, "infusion", starts)
    with app.app_context():
        db.session.execute(db.update(chairs.Chair).where(chairs.Chair.id == 2).values(is_active=False))
        db.session.commit()
        before = counts()
        real = chairs.holds_between
        calls = []

        def blind(*args, **kwargs):  # the check sees no holds, as if it ran just before the other commit
            calls.append(1)
            return [] if len(calls) == 1 else real(*args, **kwargs)

        monkeypatch.setattr(chairs, "holds_between", blind)
        with pytest.raises(CourseConflict) as conflict:
            booking.book_course(second, "infusion", starts, actor_id=None, now=utcnow())
        assert counts() == before
        assert [s.number for s in conflict.value.lost] == list(range(1, 7))
        assert all(s.alternatives for s in conflict.value.lost)


def test_sessions_that_break_the_rules_are_invalid_not_conflicts(app, completed_request):
    request_id = completed_request()
    starts = [local(d) for d in INFUSION_DAYS]
    starts[1] = local(date(2027, 3, 2))  # one day after the first
    starts[2] = local(date(2027, 3, 7))  # a Sunday
    with app.app_context():
        with pytest.raises(CourseInvalid) as invalid:
            booking.book_course(request_id, "infusion", starts, actor_id=None, now=utcnow())
        by_number = {s.number: {p.code for p in s.problems} for s in invalid.value.check.sessions}
        assert "too_close" in by_number[2]
        assert "closed_day" in by_number[3]  # the Sunday, third in time order
        with pytest.raises(CourseInvalid) as short:
            booking.book_course(request_id, "infusion", starts[:3], actor_id=None, now=utcnow())
        assert {p.code for p in short.value.check.problems} == {"session_count"}
        assert counts() == (0, 0, 0)


def test_an_unknown_kind_is_a_field_error(app, completed_request):
    from clinic.services.courses.errors import FieldErrors

    request_id = completed_request()
    with app.app_context(), pytest.raises(FieldErrors) as error:
        booking.book_course(request_id, "pills", [local(FIRST_MONDAY)], actor_id=None, now=utcnow())
    assert "kind" in error.value.errors
