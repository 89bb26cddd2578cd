"""clinic.services.courses.proposals: what staff are offered when they plan a course (the whole course
from the pattern, or their own times checked) and what keeps a request from getting a course at all."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import update

from clinic.extensions import db
from clinic.models import Chair, TreatmentCourse
from clinic.services.courses import proposals
from clinic.services.courses.errors import FieldErrors, RequestNotFound
from clinic.timeutil import utcnow
from tests.fixtures_courses import FIRST_MONDAY, INFUSION_DAYS, NY, SPRAY_DAYS, local


def test_the_proposal_keeps_nine_oclock_across_the_spring_change(app, completed_request, enrol):
    request_id = completed_request(modality="nasal_spray")
    enrol(request_id)
    with app.app_context():
        plan = proposals.propose(request_id, "nasal_spray", FIRST_MONDAY, time(9), now=utcnow())
        assert plan.bookable and plan.proposal.complete
        assert [s.starts_at.astimezone(NY).date() for s in plan.proposal.sessions] == SPRAY_DAYS
        assert {s.starts_at.astimezone(NY).time() for s in plan.proposal.sessions} == {time(9)}
        offsets = {s.starts_at.astimezone(NY).utcoffset() for s in plan.proposal.sessions}
        assert offsets == {timedelta(hours=-5), timedelta(hours=-4)}  # both sides of 2027-03-14


def test_every_reason_against_a_course_is_given_at_once(app, make_request, course_now):
    request_id = make_request(status="scheduled", modality="nasal_spray")
    with app.app_context():
        plan = proposals.gate(request_id, "nasal_spray")
        assert not plan.bookable
        assert plan.refusals == [
            proposals.NOT_COMPLETED.format(status="scheduled"),
            proposals.NO_REMS,
        ]
        assert plan.enrolment is None and plan.active is None and plan.proposal is None


def test_an_active_course_blocks_another_of_either_kind(app, completed_request, enrol, book):
    request_id = completed_request()
    enrol(request_id)
    course_id = book(request_id, "infusion", [local(d) for d in INFUSION_DAYS])
    with app.app_context():
        for key in ("infusion", "nasal_spray"):
            plan = proposals.gate(request_id, key)
            assert plan.refusals == [proposals.ALREADY_ACTIVE]
            assert plan.active.id == course_id
        assert [c.id for c in proposals.courses_of(request_id)] == [course_id]


def test_unknown_requests_and_kinds_are_refused(app, completed_request):
    request_id = completed_request()
    with app.app_context():
        with pytest.raises(RequestNotFound):
            proposals.gate(987654, "infusion")
        for key in (None, "", "pills", "INFUSION"):
            with pytest.raises(FieldErrors) as error:
                proposals.gate(request_id, key)
            assert set(error.value.errors) == {"kind"}


def test_a_proposal_moves_past_held_chairs_to_the_nearest_free_start(app, completed_request, book):
    first, second = completed_request(email="a@example.com"), completed_request(email="b@example.com")
    book(first, "infusion", [local(d) for d in INFUSION_DAYS])
    with app.app_context():
        db.session.execute(update(Chair).where(Chair.id == 2).values(is_active=False))
        db.session.commit()
        plan = proposals.propose(second, "infusion", FIRST_MONDAY, time(9), now=utcnow())
        assert plan.bookable and plan.proposal.complete
        starts = [s.starts_at for s in plan.proposal.sessions]
        assert len(starts) == 6 and all(s.chair_id == 1 for s in plan.proposal.sessions)
        # chair 1 is held 09:00-10:25 on each infusion day: nothing proposed overlaps those holds
        for start in starts:
            taken = local(start.astimezone(NY).date())
            assert start.astimezone(NY).date() not in INFUSION_DAYS or not (
                taken - timedelta(minutes=85) < start < taken + timedelta(minutes=85)
            )


def test_review_checks_the_times_staff_typed_in_any_order(app, completed_request):
    request_id = completed_request()
    starts = [local(d) for d in reversed(INFUSION_DAYS)]
    with app.app_context():
        good = proposals.review(request_id, "infusion", starts, now=utcnow())
        assert good.check.ok and good.bookable
        assert [s.starts_at for s in good.check.sessions] == sorted(starts)
        assert [s.number for s in good.check.sessions] == list(range(1, 7))
        sunday = [*starts[:-1], local(date(2027, 3, 7))]
        bad = proposals.review(request_id, "infusion", sunday, now=utcnow())
        assert not bad.check.ok
        assert any("closed_day" in {p.code for p in s.problems} for s in bad.check.sessions)


def test_planning_leaves_out_the_session_being_moved(app, completed_request, book):
    course_id = book(completed_request(), "infusion", [local(d) for d in INFUSION_DAYS])
    with app.app_context():
        ids = [s.id for s in db.session.get(TreatmentCourse, course_id).sessions]
        every = proposals.planning(date(2027, 3, 1), date(2027, 3, 5))
        assert sorted(h.interval.starts_at for h in every.holds) == [local(d) for d in INFUSION_DAYS[:3]]
        assert every.chair_ids == [1, 2]
        fewer = proposals.planning(date(2027, 3, 1), date(2027, 3, 5), leave_out=ids[:1])
        assert sorted(h.interval.starts_at for h in fewer.holds) == [local(d) for d in INFUSION_DAYS[1:3]]
