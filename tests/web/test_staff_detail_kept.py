"""A request's detail page kept for the colleague's session cookie and sent again before Flask with its
history drawn afresh: every sending records the view (SPEC 8) and shows it, while nothing else the page
shows has changed (clinic/staff/routes.py `_render_detail(keep=True)`, clinic/kept_responses.py `Spliced`).
Never stale: every write below is made by another connection, as another worker would. Both databases."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from clinic.extensions import db
from clinic.models import AuditEvent, CheckIn, CheckInReason, Note, ScheduleVersion, StaffUser
from tests.conftest import count_queries
from tests.web.test_staff_pages_kept import page, write

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
pytestmark = pytest.mark.usefixtures("now")
HISTORY = '<section class="card" aria-labelledby="history-heading">'


def views(app, request_id: int) -> list[bool]:
    """The request's views, oldest first: whether each was a repeat within its visit."""
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.is_repeat_view)
                .where(AuditEvent.action == "request.view", AuditEvent.record_id == request_id)
                .order_by(AuditEvent.id)
            )
        )


def rest_and_history(body: str) -> tuple[str, str]:
    head, history = body.split(HISTORY)
    tail = history[history.index("</section>") + len("</section>") :]
    return head + tail, history[: history.index("</section>")]


def test_a_kept_detail_page_records_and_shows_every_view_in_two_statements(
    app, signed_in, add_request, entered
):
    request_id = add_request(priority="high", created_at=NOW - timedelta(hours=3))
    path = f"/staff/requests/{request_id}"
    bodies = [page(signed_in, path), page(signed_in, path)]
    with count_queries(app) as sent:
        bodies.append(page(signed_in, path))
    assert len(sent) == 2  # the view recorded while both versions hold (its visit counted); the history
    assert len(entered) < 3  # the third, at least, answered before the app
    assert views(app, request_id) == [False, True, True]  # one visit of three views
    rests, histories = zip(*(rest_and_history(body) for body in bodies), strict=True)
    assert rests[2] == rests[1]  # the rest of the page: the same bytes
    assert "(3 views until 10:00)" in histories[2] and "(2 views until 10:00)" in histories[1]


def test_a_change_made_elsewhere_draws_the_detail_page_again(app, signed_in, add_request, entered):
    request_id = add_request(created_at=NOW - timedelta(hours=3))
    path = f"/staff/requests/{request_id}"
    page(signed_in, path)
    page(signed_in, path)
    before = len(entered)
    write(app, Note(request_id=request_id, author_id=None, body="Called back, left a voicemail"))
    assert "Called back, left a voicemail" in page(signed_in, path)
    assert len(entered) == before + 1
    assert views(app, request_id) == [False, True, True]


def test_a_schedule_change_elsewhere_draws_the_detail_page_again_with_one_view(
    app, signed_in, add_request, entered
):
    """The versions are checked in the statement that records the view: a page found stale records nothing
    there, and the app, drawing it afresh, records the one view of this GET."""
    request_id = add_request(created_at=NOW - timedelta(hours=3))
    path = f"/staff/requests/{request_id}"
    page(signed_in, path)
    page(signed_in, path)
    before = len(entered)
    write(app, sa.update(ScheduleVersion).values(version=ScheduleVersion.version + 1))
    page(signed_in, path)
    assert len(entered) == before + 1
    assert views(app, request_id) == [False, True, True]


def test_the_booked_slot_starting_draws_the_detail_page_again(app, signed_in, add_request, entered, clock):
    """From the slot's start staff are offered its outcomes (completed, no-show): not a kept page without."""
    start = NOW + timedelta(seconds=40)  # within the idle clock's step: only the slot can end it
    request_id = add_request(status="scheduled", created_at=NOW - timedelta(days=2), slot=start)
    path = f"/staff/requests/{request_id}"
    page(signed_in, path)
    page(signed_in, path)
    before = len(entered)
    clock.set(start - timedelta(microseconds=1))
    assert 'value="completed"' not in page(signed_in, path)
    assert len(entered) == before
    clock.set(start)
    assert 'value="completed"' in page(signed_in, path)
    assert len(entered) == before + 1


def test_a_check_in_closing_unanswered_draws_the_detail_page_again(
    app, signed_in, add_request, entered, clock
):
    request_id = add_request(status="completed", created_at=NOW - timedelta(days=9))
    expires = NOW + timedelta(seconds=20)  # not on a minute: the clock's other steps do not cover it
    write(
        app,
        CheckIn(
            public_id="c" * 32,
            request_id=request_id,
            reason=CheckInReason.STAFF,
            sent_at=NOW - timedelta(days=3),
            expires_at=expires,
        ),
    )
    path = f"/staff/requests/{request_id}"
    page(signed_in, path)
    page(signed_in, path)
    before = len(entered)
    clock.set(expires - timedelta(microseconds=1))
    assert "waiting for an answer" in page(signed_in, path) and len(entered) == before
    clock.set(expires)
    assert "expired unanswered" in page(signed_in, path)
    assert len(entered) == before + 1


def test_a_sign_out_elsewhere_ends_the_kept_detail_page(app, signed_in, add_request, entered):
    request_id = add_request(created_at=NOW - timedelta(hours=3))
    path = f"/staff/requests/{request_id}"
    page(signed_in, path)
    page(signed_in, path)
    write(app, sa.update(StaffUser).values(session_version=StaffUser.session_version + 1))
    response = signed_in.get(path)
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["Location"]
    assert views(app, request_id) == [False, True]  # a refused request is no view
