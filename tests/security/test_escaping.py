"""Markup typed into any free-text field comes back escaped wherever it is shown: intake names, medications
and notes, staff notes, closure reasons, staff names, and the clinic's own name and address."""

import re
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ConsultationRequest, OutboxMessage
from clinic.services.booking.links import manage_token
from clinic.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.security.forms import submit, submit_html

# Short enough for an 80-character name; printable, so the intake form must accept it as a name.
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RAW = re.compile(r"<script>alert|<img src=x onerror", re.I)
ESCAPED = "&lt;script&gt;alert("


def assert_escaped(html: str, where: str, must_show: bool = True) -> None:
    assert not RAW.search(html), f"{where}: markup came back unescaped"
    if must_show:
        assert ESCAPED in html, f"{where}: the typed text is not shown (escaped) at all"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.get_data(as_text=True)


def test_intake_free_text_is_escaped_for_staff_and_in_emails(app, client, make_request, make_staff, login_as):
    request_id = make_request(first_name=XSS, last_name=XSS, medications=XSS, notes=XSS)
    login_as(client, make_staff())
    assert_escaped(page(client, "/staff/"), "queue")
    assert_escaped(page(client, "/staff/?" + urlencode({"q": XSS})), "queue search")
    detail = page(client, f"/staff/requests/{request_id}")
    assert_escaped(detail, "request detail")
    assert detail.count(ESCAPED) >= 4, "names, medications and notes are not all shown"
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        day = consultation.appointment_at.astimezone().date().isoformat()
        token = manage_token(consultation)
        for message in db.session.scalars(select(OutboxMessage)):
            if message.body_html:  # unsent: sent messages keep no body
                assert_escaped(message.body_html, f"{message.kind} email", must_show=False)
    sent_html = [
        content
        for message in app.extensions["mailman"].outbox
        for content, mimetype in getattr(message, "alternatives", [])
        if mimetype == "text/html"
    ]
    assert sent_html, "no HTML email was sent"
    for html in sent_html:
        assert_escaped(html, "sent email", must_show=False)
    assert_escaped(page(client, f"/staff/schedule?date={day}"), "agenda", must_show=False)
    assert_escaped(page(client, f"/staff/schedule?date={day}&view=week"), "agenda week", must_show=False)
    assert_escaped(page(client, f"/appointments/{token}"), "manage page", must_show=False)


def test_intake_form_shown_again_escapes_what_was_typed(client):
    days = client.get("/api/v1/availability?days=14").get_json()["days"]
    slot = next(s["start"] for day in days for s in day["slots"])
    response = submit(
        client,
        f"/consultation?slot={slot}",
        {"first_name": XSS, "last_name": XSS, "medications": XSS, "notes": XSS, "email": "not an email"},
    )
    assert response.status_code == 422
    assert_escaped(response.get_data(as_text=True), "intake form with errors")


def test_staff_note_is_escaped(client, make_request, make_staff, login_as):
    request_id = make_request()
    login_as(client, make_staff())
    response = submit(
        client, f"/staff/requests/{request_id}", {"body": XSS}, action=f"/staff/requests/{request_id}/notes"
    )
    assert response.status_code == 200
    assert_escaped(page(client, f"/staff/requests/{request_id}"), "note on detail")


def test_closure_reason_is_escaped_everywhere_patients_and_staff_see_it(app, client, make_staff, login_as):
    login_as(client, make_staff(role="admin"))
    with app.app_context():
        from clinic.services.rules.read import clinic_info

        today = utcnow().astimezone(clinic_info().rules.tz).date()
    day = today + timedelta(days=(7 - today.weekday()) % 7 + 1)  # a Tuesday ahead
    fields = {
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "start_time": "",
        "end_time": "",
        "reason": XSS,
    }
    response = submit(client, "/admin/closures", fields)
    if "Save and flag" in response.get_data(as_text=True):
        response = submit_html(client, response.get_data(as_text=True), "/admin/closures", {})
    assert response.status_code == 200
    assert_escaped(page(client, "/admin/closures"), "admin closures")
    assert_escaped(page(client, f"/book?week={day.isoformat()}"), "slot picker")
    assert_escaped(page(client, "/contact"), "contact page", must_show=False)
    api = client.get(f"/api/v1/availability?start={day.isoformat()}&days=1")
    assert api.mimetype == "application/json"
    assert api.get_json()["days"][0]["closure"] == XSS  # data, not markup: JSON is never rendered as HTML
    assert_escaped(page(client, "/admin/audit"), "audit log", must_show=False)


def test_staff_names_are_escaped(app, client, make_staff, login_as, make_request):
    admin_id = make_staff(role="admin", email="escape.admin@clinic.example")
    login_as(client, admin_id)
    response = submit(
        client,
        "/admin/staff",
        {
            "email": "named@clinic.example",
            "name": XSS,
            "role": "staff",
            "password": "a long and unusual passphrase",
        },
    )
    assert response.status_code == 200
    assert_escaped(page(client, "/admin/staff"), "admin staff list")
    with app.app_context():
        from clinic.models import StaffUser

        named = db.session.scalars(select(StaffUser).where(StaffUser.email == "named@clinic.example")).one()
        named_id = named.id
    request_id = make_request()
    other = app.test_client()
    login_as(other, named_id)
    assert_escaped(page(other, "/staff/"), "header of the signed-in user")
    submit(
        other,
        f"/staff/requests/{request_id}",
        {"body": "A plain note"},
        action=f"/staff/requests/{request_id}/notes",
    )
    assert_escaped(page(client, f"/staff/requests/{request_id}"), "note author")
    assert_escaped(page(client, f"/admin/staff/{named_id}"), "staff detail")


def test_clinic_name_and_address_are_escaped_on_every_page(app, client, make_staff, login_as):
    login_as(client, make_staff(role="admin"))
    response = submit(client, "/admin/settings", {"name": XSS, "address": XSS})
    assert response.status_code == 200
    for url in ("/", "/contact", "/book", "/learn/", "/admin/settings", "/staff/"):
        assert_escaped(page(client, url), url)
    anonymous = app.test_client()
    assert_escaped(page(anonymous, "/staff/login"), "/staff/login")
    not_found = anonymous.get("/no-such-page")
    assert_escaped(not_found.get_data(as_text=True), "404 page")


def test_csrf_token_is_not_reflected_raw(client):
    """A crafted query string never lands in a page unescaped."""
    for url in (
        "/book?week=<script>",
        "/consultation?slot=<script>alert(1)</script>",
        "/staff/login?next=<script>",
    ):
        response = client.get(url)
        assert "<script>" not in response.get_data(as_text=True), url
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    assert RAW.search(token) is None
