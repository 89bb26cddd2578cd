"""Check-ins (services/casework/checkins.py): sent by run-jobs a day before each session, once, with the
clock moved; sent by staff; valid 72 hours; one answer per link (the database's guarded UPDATE); answers
encrypted; audited by ids only; the trajectory read in a fixed number of statements."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import AuditEvent, CheckIn, CheckInReason, OutboxMessage
from clinic.services.casework import checkins
from clinic.services.jobs import run_all
from clinic.timeutil import utcnow
from tests.fixtures_courses import DRUG_WORDS, INFUSION_DAYS, local

FIRST = local(INFUSION_DAYS[0])  # Monday 2027-03-01 09:00 New York
ANSWERS = (1, 1, 1, 1, 1, 1, 1, 1, 0)


@pytest.fixture
def course(completed_request, book):
    request_id = completed_request(email="checkin.patient@example.com")
    book(request_id, "infusion", [local(d) for d in INFUSION_DAYS])
    return request_id


def jobs_at(app, clock, when) -> int:
    clock.set(when)
    with app.app_context():
        results = {r.job.name: r.count for r in run_all(now=when)}
    return results["check-ins"]


def test_run_jobs_sends_each_sessions_check_in_once_a_day_before(app, clock, course, sent):
    assert jobs_at(app, clock, FIRST - timedelta(hours=25)) == 0
    assert jobs_at(app, clock, FIRST - timedelta(hours=23)) == 1
    assert jobs_at(app, clock, FIRST - timedelta(hours=22)) == 0  # the next run, an hour later
    assert jobs_at(app, clock, FIRST - timedelta(minutes=1)) == 0
    second = local(INFUSION_DAYS[1])
    assert jobs_at(app, clock, second - timedelta(hours=20)) == 1
    with app.app_context():
        rows = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        assert [c.reason for c in rows] == [CheckInReason.SESSION] * 2
        assert [c.session.number for c in rows] == [1, 2]
        assert rows[0].expires_at - rows[0].sent_at == timedelta(hours=72)
    mails = [m for m in sent if "/check-ins/" in m.body]
    assert [m.to for m in mails] == [["checkin.patient@example.com"]] * 2


def test_the_email_is_neutral(app, clock, course, sent):
    jobs_at(app, clock, FIRST - timedelta(hours=23))
    mail = next(m for m in sent if "/check-ins/" in m.body)
    html = mail.alternatives[0][0] if mail.alternatives else ""
    assert mail.subject == "A message from Northfield Clinic" or mail.subject.startswith("A message from ")
    for words in (mail.subject, mail.body, html):  # (every email's footer names the 988 line: that is kept)
        assert not [w for w in (*DRUG_WORDS, "phq", "score", "mood", "questionnaire") if w in words.lower()]


def test_two_runners_claiming_at_once_send_one_check_in_per_session(app, course):
    """The unique session is the guarantee: a second insert for a session fails and is skipped."""
    when = FIRST - timedelta(hours=23)
    with app.app_context():
        assert checkins.send_due(now=when) == 1
        consultation_id = db.session.scalar(select(CheckIn.request_id))
        session_id = db.session.scalar(select(CheckIn.session_id))
        from clinic.models import ConsultationRequest

        with pytest.raises(IntegrityError):
            checkins._add(
                db.session.get(ConsultationRequest, consultation_id),
                reason=CheckInReason.SESSION,
                now=when,
                session_id=session_id,
            )
        db.session.rollback()
        assert db.session.scalar(select(text("count(*)")).select_from(CheckIn)) == 1


def test_staff_send_one_on_demand(app, ctx, make_request, make_staff, sent):
    request_id = make_request()
    staff_id = make_staff()
    check_in = checkins.send(request_id, actor_id=staff_id, now=utcnow())
    assert check_in.reason == CheckInReason.STAFF and check_in.sent_by_id == staff_id
    assert any("/check-ins/" in m.body for m in sent)
    with pytest.raises(checkins.RequestNotFound):
        checkins.send(9999, actor_id=staff_id, now=utcnow())


def test_a_link_takes_one_answer(app, ctx, make_request, make_staff):
    check_in = checkins.send(make_request(), actor_id=make_staff(), now=utcnow())
    result = checkins.answer(check_in.id, ANSWERS, 2, now=utcnow())
    assert (result.score, result.self_harm) == (8, False)
    with pytest.raises(checkins.AlreadyAnswered):
        checkins.answer(check_in.id, (3,) * 9, None, now=utcnow())
    stored = db.session.get(CheckIn, check_in.id, populate_existing=True)
    assert (stored.phq9_score, stored.phq9_answers, stored.phq9_difficulty) == (8, list(ANSWERS), 2)


def test_a_link_expires_after_72_hours(app, ctx, make_request, make_staff):
    sent_at = utcnow()
    check_in = checkins.send(make_request(), actor_id=make_staff(), now=sent_at)
    with pytest.raises(checkins.CheckInExpired):
        checkins.answer(check_in.id, ANSWERS, None, now=sent_at + timedelta(hours=72))
    assert db.session.get(CheckIn, check_in.id, populate_existing=True).answered_at is None
    checkins.answer(check_in.id, ANSWERS, None, now=sent_at + timedelta(hours=71, minutes=59))


def test_answers_are_encrypted_at_rest(app, ctx, make_request, make_staff):
    check_in = checkins.send(make_request(), actor_id=make_staff(), now=utcnow())
    checkins.answer(check_in.id, ANSWERS, 3, now=utcnow())
    raw = db.session.execute(text("SELECT phq9_answers, phq9_difficulty FROM check_ins")).one()
    assert "[" not in raw[0] and raw[1] != "3"


def test_sent_viewed_and_answered_are_audited_with_ids_only(app, ctx, make_request, make_staff):
    request_id = make_request()
    check_in = checkins.send(request_id, actor_id=make_staff(), now=utcnow())
    checkins.record_view(check_in.id)
    checkins.answer(check_in.id, ANSWERS, None, now=utcnow())
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("checkin."))).all()
    assert [e.action for e in events] == ["checkin.send", "checkin.view", "checkin.answer"]
    for event in events:
        assert event.record_id == request_id
        assert set(event.details) <= {"check_in_id", "session_id", "by"}


def test_nothing_is_emailed_when_no_mail_is_due(app, ctx):
    assert checkins.send_due(now=utcnow()) == 0
    assert db.session.scalar(select(text("count(*)")).select_from(OutboxMessage)) == 0


def test_a_link_opened_again_and_again_is_one_visit_in_the_requests_history(
    app, ctx, make_request, make_staff
):
    """The patient reopening their check-in link (or a page refreshed) is folded like a colleague's views:
    the request's history shows the visit once, with its views counted."""
    from clinic.services.casework import cases

    request_id = make_request()
    check_in = checkins.send(request_id, actor_id=make_staff(), now=utcnow())
    for _ in range(12):
        checkins.record_view(check_in.id)
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "checkin.view")).all()
    assert [e.is_repeat_view for e in views] == [False] + [True] * 11
    detail = cases.detail(request_id)
    shown = [e for e in detail.history if e.action == "checkin.view"]
    assert len(shown) == 1 and detail.visits[shown[0].id].views == 12


def test_a_cards_clock_changes_when_the_first_open_check_in_closes():
    """The request page is kept until then: "waiting for an answer" reads "expired unanswered" after it."""
    now = datetime(2026, 11, 18, 15, tzinfo=UTC)

    def sent(expires_in: timedelta, answered: bool = False) -> CheckIn:
        return CheckIn(expires_at=now + expires_in, answered_at=now if answered else None)

    def card(*check_ins: CheckIn) -> checkins.TrajectoryCard:
        return checkins.TrajectoryCard(trajectory=None, chart=None, check_ins=list(check_ins))

    assert card().changes_at(now) is None
    assert card(sent(timedelta(hours=2), answered=True), sent(-timedelta(hours=1))).changes_at(now) is None
    closing = card(
        sent(timedelta(hours=5)), sent(timedelta(hours=2)), sent(timedelta(minutes=1), answered=True)
    )
    assert closing.changes_at(now) == now + timedelta(hours=2)
