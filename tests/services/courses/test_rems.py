"""clinic.services.courses.rems: the esketamine REMS enrollment (checked, recorded, corrected, its ID kept
out of the audit) and the monitoring forms due within 7 days of each completed nasal-spray session."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, SessionStatus, TreatmentCourse, TreatmentSession
from clinic.services.courses import rems, sessions
from clinic.services.courses.errors import FieldErrors, RequestNotFound, SessionNotFound, SessionRefused
from clinic.timeutil import utcnow
from tests.fixtures_courses import NY, SPRAY_DAYS, local, spray_starts

TODAY = date(2027, 2, 22)


@pytest.mark.parametrize(
    ("enrolled_on", "rems_id", "fields"),
    [
        (date(2027, 2, 1), "RP-1234567", set()),
        (date(2019, 3, 5), "abc", set()),  # the first approval day; the shortest ID
        (TODAY, "A" * 40, set()),  # today; the longest ID
        (None, "RP-1", {"enrolled_on"}),
        (date(2027, 2, 23), "RP-1", {"enrolled_on"}),  # tomorrow
        (date(2019, 3, 4), "RP-1", {"enrolled_on"}),  # before the program existed
        (date(2027, 2, 1), "ab", {"rems_id"}),
        (date(2027, 2, 1), "A" * 41, {"rems_id"}),
        (date(2027, 2, 1), "-RP1", {"rems_id"}),  # must start with a letter or digit
        (date(2027, 2, 1), "RP_1234", {"rems_id"}),
        (date(2027, 2, 1), "RP-1\n2", {"rems_id"}),
    ],
)
def test_enrolment_errors_name_each_bad_field(enrolled_on, rems_id, fields):
    assert set(rems.enrolment_errors(enrolled_on, rems_id, today=TODAY)) == fields


def test_the_enrolment_of_an_unknown_request_is_not_recorded(app, make_staff):
    staff = make_staff()
    with app.app_context():
        with pytest.raises(RequestNotFound):
            rems.record_enrolment(987654, date(2027, 2, 1), "RP-1", actor_id=staff, today=TODAY)
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("rems."))).all() == []


def test_the_rems_id_is_stored_trimmed(app, completed_request, make_staff):
    request_id, staff = completed_request(), make_staff()
    with app.app_context():
        enrolment = rems.record_enrolment(
            request_id, date(2027, 2, 1), "  RP-77  ", actor_id=staff, today=TODAY
        )
        assert (enrolment.rems_id, enrolment.recorded_by_id) == ("RP-77", staff)


def test_rems_enrolment_is_checked_and_recorded_without_its_id_in_the_audit(
    app, completed_request, make_staff
):
    request_id = completed_request()
    staff = make_staff()
    today = date(2027, 2, 22)
    with app.app_context():
        with pytest.raises(FieldErrors) as bad:
            rems.record_enrolment(request_id, date(2027, 3, 1), "x", actor_id=staff, today=today)
        assert set(bad.value.errors) == {"enrolled_on", "rems_id"}
        rems.record_enrolment(request_id, date(2027, 2, 1), "RP-555", actor_id=staff, today=today)
        rems.record_enrolment(request_id, date(2027, 2, 2), "RP-556", actor_id=staff, today=today)
        enrolment = rems.proposals.enrolment_of(request_id)
        assert (enrolment.enrolled_on, enrolment.rems_id) == (date(2027, 2, 2), "RP-556")
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("rems."))).all()
        assert [e.action for e in events] == ["rems.enrolment_recorded", "rems.enrolment_corrected"]
        assert all("RP-55" not in str(e.details) for e in events)


def test_rems_forms_are_due_for_completed_sprays_oldest_first(
    app, completed_request, enrol, book, make_staff, clock
):
    staff = make_staff()
    request_id = completed_request(modality="nasal_spray")
    enrol(request_id)
    course_id = book(request_id, "nasal_spray", spray_starts())
    clock.set(local(SPRAY_DAYS[2], 12))
    with app.app_context():
        ids = [s.id for s in db.session.get(TreatmentCourse, course_id).sessions]
        for session_id in ids[:3]:
            sessions.change_status(session_id, SessionStatus.COMPLETED, actor_id=staff, now=utcnow())
        due = rems.forms_due(today=SPRAY_DAYS[2], tz=NY)
        assert [d.session.id for d in due] == ids[:3]
        assert due[0].due_on == date(2027, 3, 8) and not due[0].overdue
        rems.mark_form_sent(ids[0], actor_id=staff, now=utcnow())
        with pytest.raises(SessionRefused, match="already"):
            rems.mark_form_sent(ids[0], actor_id=staff, now=utcnow())
        with pytest.raises(SessionRefused, match="only for a completed"):
            rems.mark_form_sent(ids[5], actor_id=staff, now=utcnow())
        assert [d.session.id for d in rems.forms_due(today=date(2027, 3, 12), tz=NY)] == ids[1:3]
        assert rems.forms_due(today=date(2027, 3, 12), tz=NY)[0].overdue


def test_no_form_is_due_for_an_infusion_and_marking_one_is_refused(app, infusion_course, clock):
    _, ids, staff = infusion_course
    clock.set(local(date(2027, 3, 1), 12))
    with app.app_context():
        sessions.change_status(ids[0], SessionStatus.COMPLETED, actor_id=staff, now=utcnow())
        assert rems.forms_due(today=date(2027, 3, 1), tz=NY) == []
        with pytest.raises(SessionRefused, match="only for a completed esketamine"):
            rems.mark_form_sent(ids[0], actor_id=staff, now=utcnow())
        with pytest.raises(SessionNotFound):
            rems.mark_form_sent(987654, actor_id=staff, now=utcnow())


def test_the_form_is_due_seven_days_after_the_session_in_clinic_time(app, infusion_course):
    _, ids, _ = infusion_course
    with app.app_context():
        session = db.session.get(TreatmentSession, ids[0])
        session.starts_at = datetime(2027, 3, 2, 3, 30, tzinfo=UTC)  # still March 1 in New York
        assert rems.form_due_on(session, NY) == date(2027, 3, 8)
        assert rems.form_due_on(session, UTC) == date(2027, 3, 9)
        db.session.rollback()


def test_marking_a_form_sent_is_audited_without_the_rems_id(
    app, completed_request, enrol, book, make_staff, clock
):
    staff = make_staff()
    request_id = completed_request(modality="nasal_spray")
    enrol(request_id, rems_id="RP-SECRET-9")
    course_id = book(request_id, "nasal_spray", spray_starts())
    clock.set(local(SPRAY_DAYS[0], 12))
    with app.app_context():
        first = db.session.get(TreatmentCourse, course_id).sessions[0]
        sessions.change_status(first.id, SessionStatus.COMPLETED, actor_id=staff, now=utcnow())
        marked = rems.mark_form_sent(first.id, actor_id=staff, now=utcnow())
        assert marked.rems_form_sent_by_id == staff and marked.rems_form_sent_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rems.form_sent"))
        assert event.record_id == request_id
        assert event.details == {"course_id": course_id, "session": 1}
        assert "RP-SECRET" not in str(event.details)
