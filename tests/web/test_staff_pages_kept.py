"""A colleague's queue and chair board, drawn once and sent again while nothing they show has changed
(clinic/staff/kept.py, migration 0016's casework version). Never stale: every write below is made by another
connection, as another worker would, and nothing in this process is told. Both databases."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import template_rendered

from clinic.extensions import db
from clinic.models import CaseworkVersion, Chair, ClinicSettings, ConsultationRequest, Note, StaffUser
from tests.conftest import count_queries, csrf_token_from

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
pytestmark = pytest.mark.usefixtures("now")


@pytest.fixture
def drawn(app) -> list[str]:
    """The staff pages actually drawn (their templates rendered)."""
    names: list[str] = []

    def rendered(sender, template, context, **extra):
        if template.name in ("staff/queue.html", "staff/courses/board.html"):
            names.append(template.name)

    template_rendered.connect(rendered, app)
    yield names
    template_rendered.disconnect(rendered, app)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def write(app, change) -> None:
    """A statement, or a row written through its model (an encrypted one)."""
    with app.app_context():
        if isinstance(change, db.Model):
            db.session.add(change)
        else:
            db.session.execute(change)
        db.session.commit()


def version(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(CaseworkVersion.version))


def new_cookie(client) -> None:
    """The same sign-in under another session cookie (as after the idle clock's step): not the one a page
    was kept for before Flask, so the request goes through the app."""
    with client.session_transaction() as session:
        session["nonce"] = session.get("nonce", 0) + 1


@pytest.mark.parametrize("path", ["/staff/", "/staff/?priority=high&status=new", "/staff/chairs"])
def test_an_unchanged_page_is_sent_again_after_the_sign_in_checks_and_one_statement(
    app, staff_client, add_request, drawn, path
):
    add_request(priority="high", created_at=NOW - timedelta(hours=3))
    first = page(staff_client, path)
    new_cookie(staff_client)
    with count_queries(app) as sent:
        second = page(staff_client, path)
    assert second == first and len(drawn) == 1
    assert len(sent) == 2  # the colleague's account, and the settings with both versions


@pytest.mark.parametrize("path", ["/staff/", "/staff/?priority=high&status=new", "/staff/chairs"])
def test_the_same_session_cookie_is_answered_before_the_app(
    app, signed_in, add_request, drawn, entered, path
):
    add_request(priority="high", created_at=NOW - timedelta(hours=3))
    first = signed_in.get(path)  # the form secret is made: the cookie is written
    assert "Set-Cookie" in first.headers
    second = signed_in.get(path)  # nothing written: kept for this cookie
    assert "Set-Cookie" not in second.headers
    with count_queries(app) as sent:
        third = signed_in.get(path)
    assert third.status_code == 200 and third.get_data() == second.get_data() == first.get_data()
    assert list(third.headers) == list(second.headers)
    assert third.headers["Cache-Control"] == "no-store"
    assert entered == [path, path] and len(drawn) == 1
    assert len(sent) == 1  # both versions, before the app


def test_a_sign_out_elsewhere_ends_the_kept_page_for_that_cookie(app, signed_in, entered):
    page(signed_in, "/staff/")
    page(signed_in, "/staff/")
    with app.app_context():  # a sign-out in another tab, a password change or a deactivation
        write(app, sa.update(StaffUser).values(session_version=StaffUser.session_version + 1))
    response = signed_in.get("/staff/")
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["Location"]
    assert entered == ["/staff/", "/staff/", "/staff/"]


def test_another_cookie_is_never_sent_a_kept_page(app, signed_in, entered, make_staff, login_as):
    page(signed_in, "/staff/")
    page(signed_in, "/staff/")
    stranger = app.test_client()
    stranger.set_cookie("clinic_session", signed_in.get_cookie("clinic_session").value + "x")
    assert stranger.get("/staff/").status_code in (302, 303)  # a forged signature: signed out
    assert entered == ["/staff/", "/staff/", "/staff/"]


def test_the_idle_clock_and_the_timeouts_end_a_kept_page(app, signed_in, clock, entered):
    page(signed_in, "/staff/chairs")
    page(signed_in, "/staff/chairs")
    clock.set(NOW + timedelta(seconds=59))  # within the idle clock's step: the same cookie, kept
    page(signed_in, "/staff/chairs")
    assert len(entered) == 2
    clock.set(NOW + timedelta(minutes=1))  # the step: through the app, which moves the idle clock on
    response = signed_in.get("/staff/chairs")
    assert "Set-Cookie" in response.headers and len(entered) == 3
    with signed_in.session_transaction() as session:
        assert session["seen_at"] == (NOW + timedelta(minutes=1)).isoformat()
    page(signed_in, "/staff/chairs")  # the new cookie: kept again
    page(signed_in, "/staff/chairs")
    assert len(entered) == 4
    clock.set(NOW + timedelta(minutes=31, seconds=1))  # idle for more than thirty minutes: signed out
    response = signed_in.get("/staff/chairs")
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["Location"]


def test_the_idle_clock_moves_on_once_a_minute_not_on_every_request(app, signed_in, clock):
    signed_in.get("/staff/")
    for seconds in (10, 30, 59):
        clock.set(NOW + timedelta(seconds=seconds))
        assert "Set-Cookie" not in signed_in.get("/staff/login").headers  # a redirect: nothing written
    with signed_in.session_transaction() as session:
        assert session["seen_at"] == NOW.isoformat()
    clock.set(NOW + timedelta(seconds=61))
    assert "Set-Cookie" in signed_in.get("/staff/login").headers
    with signed_in.session_transaction() as session:
        assert session["seen_at"] == (NOW + timedelta(seconds=61)).isoformat()


def test_two_factor_required_elsewhere_ends_the_kept_page(app, client, make_staff, login_as, entered):
    login_as(client, make_staff(name="Nora Nurse", two_factor=False), keep_alive=False, two_factor=False)
    write(app, sa.update(ClinicSettings).values(require_two_factor=False))
    page(client, "/staff/")
    page(client, "/staff/")
    write(app, sa.update(ClinicSettings).values(require_two_factor=True))  # another worker's admin
    response = client.get("/staff/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/account/two-factor")
    assert entered == ["/staff/", "/staff/", "/staff/"]


def test_a_new_request_written_elsewhere_shows_at_once(app, staff_client, add_request):
    assert "Lena" not in page(staff_client, "/staff/")
    add_request(first_name="Lena", created_at=NOW - timedelta(minutes=5))
    assert "Lena" in page(staff_client, "/staff/")


def test_a_status_a_note_and_a_colleagues_name_each_end_the_kept_page(
    app, staff_client, add_request, make_staff, drawn
):
    request_id = add_request(first_name="Omar", assigned_to_id=make_staff(name="Ines Iglesias"))
    assert "Ines Iglesias" in page(staff_client, "/staff/")
    with app.app_context():
        author = db.session.scalar(sa.select(StaffUser.id).where(StaffUser.name == "Ines Iglesias"))
    changes = [
        sa.update(ConsultationRequest).where(ConsultationRequest.id == request_id).values(status="contacted"),
        Note(request_id=request_id, author_id=author, body="Called", created_at=NOW),
        sa.update(StaffUser).where(StaffUser.id == author).values(name="Ines Iglesias-Ruiz"),
    ]
    for change in changes:
        before = version(app)
        write(app, change)
        assert version(app) > before, f"not watched: {change}"
        page(staff_client, "/staff/")
    assert "Ines Iglesias-Ruiz" in page(staff_client, "/staff/")
    assert len(drawn) == 4  # the first, then once after each change


def test_a_new_chair_shows_on_the_board_at_once(app, staff_client):
    assert "Chair by the window" not in page(staff_client, "/staff/chairs")
    write(app, sa.insert(Chair).values(name="Chair by the window", is_active=True, created_at=NOW))
    assert "Chair by the window" in page(staff_client, "/staff/chairs")


def test_the_clock_moves_an_age_and_a_response_target(app, staff_client, add_request, clock, drawn):
    add_request(priority="urgent", created_at=NOW - timedelta(hours=3, minutes=59, seconds=30))
    html = page(staff_client, "/staff/")
    assert "3 h" in html and "Overdue" not in html
    clock.set(NOW + timedelta(seconds=20))  # the same ages, the same target: the kept page
    page(staff_client, "/staff/")
    assert len(drawn) == 1
    clock.set(NOW + timedelta(seconds=30))  # four hours: "4 h", and the urgent target has passed
    html = page(staff_client, "/staff/")
    assert "4 h" in html and "Overdue" in html and len(drawn) == 2
    clock.set(NOW - timedelta(minutes=1))  # a clock set back never reads a page drawn in its future
    page(staff_client, "/staff/")
    assert len(drawn) == 3


def test_the_board_is_drawn_again_on_a_new_day(app, staff_client, clock, drawn):
    clock.set(datetime(2026, 11, 19, 4, 55, tzinfo=UTC))  # 23:55 in New York
    page(staff_client, "/staff/chairs")
    clock.set(datetime(2026, 11, 19, 4, 59, tzinfo=UTC))  # 23:59
    page(staff_client, "/staff/chairs")
    clock.set(datetime(2026, 11, 19, 5, 0, tzinfo=UTC))  # midnight: "today" is Thursday
    page(staff_client, "/staff/chairs")
    assert len(drawn) == 2


def test_each_colleague_gets_their_own_page(app, client, make_staff, login_as, drawn):
    login_as(client, make_staff(email="nora@clinic.example", name="Nora Nurse"))
    assert "Sign out Nora Nurse" in page(client, "/staff/")
    other = app.test_client()
    login_as(other, make_staff(email="ada@clinic.example", name="Ada Admin", role="admin"))
    html = page(other, "/staff/")
    assert "Sign out Ada Admin" in html and "Audit log" in html and len(drawn) == 2


def test_a_kept_page_carries_a_form_secret_that_still_signs_out(app, staff_client, drawn):
    page(staff_client, "/staff/")
    token = csrf_token_from(page(staff_client, "/staff/"))
    assert len(drawn) == 1
    response = staff_client.post("/staff/logout", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert staff_client.get("/staff/").status_code in (302, 303)  # signed out: to the sign-in page


def test_a_message_waiting_is_shown_on_a_page_drawn_afresh(app, staff_client, drawn):
    page(staff_client, "/staff/")
    with staff_client.session_transaction() as session:
        session["_flashes"] = [("success", "Status changed to contacted.")]
    assert "Status changed to contacted." in page(staff_client, "/staff/")
    assert "Status changed to contacted." not in page(staff_client, "/staff/")
    assert len(drawn) == 2  # the one with the message was never kept; the first is sent again after it


def test_refused_filters_are_never_kept(app, staff_client, drawn):
    for _ in range(2):
        assert staff_client.get("/staff/?from=tomorrow").status_code == 400
    assert len(drawn) == 2


def test_the_version_moves_in_the_transaction_and_once_per_transaction_on_postgresql(app, add_request):
    request_id = add_request(first_name="Pia")
    before = version(app)
    with app.app_context():
        for values in ({"status": "contacted"}, {"follow_up_on": None}):
            db.session.execute(
                sa.update(ConsultationRequest).where(ConsultationRequest.id == request_id).values(**values)
            )
        db.session.rollback()
        assert db.session.scalar(sa.select(CaseworkVersion.version)) == before  # rolled back with it
        for values in ({"status": "contacted"}, {"follow_up_on": None}):
            db.session.execute(
                sa.update(ConsultationRequest).where(ConsultationRequest.id == request_id).values(**values)
            )
        db.session.commit()
        postgresql = db.engine.dialect.name == "postgresql"
    assert version(app) == before + (1 if postgresql else 2)


def test_no_page_is_kept_longer_than_ten_minutes(app, staff_client, clock, drawn):
    page(staff_client, "/staff/chairs")
    clock.set(NOW + timedelta(minutes=9, seconds=59))
    page(staff_client, "/staff/chairs")
    clock.set(NOW + timedelta(minutes=10))
    page(staff_client, "/staff/chairs")
    assert len(drawn) == 2


def test_a_cookie_replayed_after_sign_out_is_refused_not_sent_a_kept_page(app, signed_in, entered):
    """SPEC 8: a replayed cookie is refused once its user signed out, even where its page was kept."""
    html = page(signed_in, "/staff/")
    page(signed_in, "/staff/")  # kept for this cookie
    replayed = signed_in.get_cookie("clinic_session").value
    assert signed_in.post("/staff/logout", data={"csrf_token": csrf_token_from(html)}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("clinic_session", replayed)
    response = thief.get("/staff/")
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["Location"]
    assert "Nora Nurse" not in response.get_data(as_text=True)
