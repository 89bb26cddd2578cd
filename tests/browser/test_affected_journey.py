"""An admin closes the clinic over a booked urgent patient, sees whose booking it is, emails the patient, and
the patient's email carries a manage link that works (issue 14), walked in Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest
from tests.browser.conftest import ADMIN_EMAIL, sign_in
from tests.browser.pages import MANAGE_URL, detail_value
from tests.browser.test_journeys import create_request

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server


def booking_of(live_server, reference: str) -> tuple[int, str, str, str]:
    """(booking id, date, start HH:MM, end HH:MM) of the request's booking, in clinic time."""
    from clinic.services.rules.read import clinic_info

    with live_server.app.app_context():
        booking = db.session.scalars(
            select(Booking).join(ConsultationRequest).where(ConsultationRequest.reference == reference)
        ).one()
        tz = clinic_info().rules.tz
        starts, ends = booking.starts_at.astimezone(tz), booking.ends_at.astimezone(tz)
        result = booking.id, starts.date().isoformat(), f"{starts:%H:%M}", f"{ends:%H:%M}"
        db.session.remove()
        return result


def choose_new_time_email(live_server, reference: str):
    outbox = live_server.app.extensions["mailman"].outbox
    found = [m for m in outbox if "choose a new time" in m.body and reference in m.body]
    assert found, "no 'choose a new time' email for the patient"
    return found[-1]


def test_admin_closes_over_an_urgent_booking_and_emails_the_patient(
    page: Page, new_context, live_server, axe
):
    reference, _ = create_request(live_server, urgent=True, last_name="Affected")
    booking_id, day, starts, ends = booking_of(live_server, reference)
    sign_in(page, ADMIN_EMAIL)
    page.goto("/admin/closures")
    page.get_by_label("First day").fill(day)
    page.get_by_label("Last day").fill(day)
    page.get_by_label("From (optional)").fill(starts)
    page.get_by_label("Until (optional)").fill(ends)
    page.get_by_label("Reason").fill("Burst pipe")
    page.get_by_role("button", name="Add closure").click()

    question = page.locator("section[aria-labelledby='affected-heading']")
    row = question.locator("tbody tr", has_text=reference)
    expect(row).to_contain_text("Casey Affected")
    expect(row).to_contain_text("(212) 555-0111")
    expect(row).to_contain_text("Urgent")
    axe(page)
    try:
        page.get_by_role("button", name=re.compile(r"^Save and flag \d+ booking")).click()
        page.wait_for_url("**/admin/affected")
        row = page.locator("#affected-table tbody tr", has_text=reference)
        expect(row).to_contain_text("Casey Affected")
        expect(row).to_contain_text("(212) 555-0111")
        expect(row.locator(".badge-urgent")).to_have_text("Urgent")
        expect(row).to_contain_text("Not yet")
        axe(page)

        for box in page.locator("input[name='booking_id']").all():  # only this patient
            box.set_checked(box.get_attribute("value") == str(booking_id))
        page.get_by_role("button", name="Email the patients ticked").click()
        page.wait_for_url("**/admin/affected")
        expect(page.get_by_text("Emailed 1 patient")).to_be_visible()
        expect(page.locator("#affected-table tbody tr", has_text=reference)).not_to_contain_text("Not yet")

        email = choose_new_time_email(live_server, reference)
        assert email.to == ["casey.browser@example.com"]
        link = re.search(r"(http://\S+/appointments/\S+)", email.body).group(1)
        assert link.startswith(live_server.url), f"the link does not point at the app: {link}"

        patient = new_context().new_page()
        patient.goto(link)
        patient.wait_for_url(MANAGE_URL)
        expect(patient.get_by_role("heading", level=1)).to_have_text("Your consultation")
        assert detail_value(patient, "Reference") == reference
        expect(patient.get_by_role("link", name="Choose another time")).to_be_visible()

        # staff see the flag on the request, with a way to resolve it; the log names who emailed whom
        page.locator("#affected-table tbody tr", has_text=reference).get_by_role(
            "link", name="Casey Affected"
        ).click()
        page.wait_for_url("**/staff/requests/*")
        expect(page.get_by_role("button", name="Mark the flag resolved")).to_be_visible()
        axe(page)
        page.goto("/admin/audit?action=booking.new_time_requested")
        line = page.locator("table tbody tr").first
        expect(line).to_contain_text("Asked the patient to choose a new time")
        expect(line).to_contain_text("Abe Admin")
        expect(line.get_by_role("link", name=f"Request {reference}")).to_be_visible()
        axe(page)
    finally:
        page.goto("/admin/closures")
        page.locator(
            "form", has=page.get_by_role("button", name=re.compile("the closure “Burst pipe”"))
        ).first.get_by_role("button").click()
        page.wait_for_url("**/admin/closures")
    page.goto("/admin/affected")  # the closure is gone: the booking is back within the rules
    expect(page.locator("#affected-table tbody tr", has_text=reference)).to_have_count(0)
