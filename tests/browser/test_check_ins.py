"""A check-in between treatment sessions, walked in Chromium (SPEC 12): a patient whose request was closed
answers item 9 above 0; the crisis panel is the first thing after submitting, and staff find the request
urgent and open again, with its trajectory. axe checks every page on the way."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.booking import availability, intake
from clinic.services.casework import checkins
from clinic.timeutil import utcnow
from clinic.triage.enums import Modality, PreferredContact, RequestStatus
from tests.browser.conftest import STAFF_EMAIL, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def closed_request_with_a_check_in(live_server, last_name: str, sent_hours_ago: int = 0) -> tuple[str, str]:
    """A routine request, its consultation completed, and a check-in sent (now, or hours ago): (reference,
    link path)."""
    with live_server.app.app_context():
        now = utcnow()
        data = intake.IntakeData(
            starts_at=availability.nearest_slots(None, now=now, limit=1)[0].starts_at,
            first_name="Morgan",
            last_name=last_name,
            email="morgan.browser@example.com",
            phone="+12125550199",
            date_of_birth=date(1988, 6, 1),
            preferred_contact=PreferredContact.EMAIL,
            phq9=(3, 3, 3, 3, 3, 3, 3, 3, 0),
            antidepressant_trials=3,
            modality=Modality.INFUSION,
        )
        consultation = intake.submit(data, now=now)
        consultation.status = RequestStatus.COMPLETED
        db.session.commit()
        check_in = checkins.send(consultation.id, actor_id=None, now=now - timedelta(hours=sent_hours_ago))
        result = consultation.reference, f"/check-ins/{checkins.token_for(check_in)}"
        db.session.remove()
        return result


def test_a_closed_patient_reporting_self_harm_at_a_check_in_is_helped_and_back_in_the_queue(
    page: Page, new_context, axe, live_server
):
    reference, path = closed_request_with_a_check_in(live_server, "Checkinjourney")
    page.set_viewport_size({"width": 390, "height": 844})  # a patient on a phone
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("How you have been")
    axe(page)
    page.get_by_role("button", name="Send my answers").click()  # nothing chosen: every question says so
    expect(page.locator("#error-summary-title")).to_be_visible()
    axe(page)
    for item, answer in enumerate([2, 2, 1, 2, 1, 1, 1, 1, 1], start=1):
        page.locator(f"input[name='phq9_{item}'][value='{answer}']").check()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(re.compile(r"/check-ins/[^/]+$"))
    panel = page.locator("#crisis-help")
    expect(panel).to_be_visible()
    assert panel.bounding_box()["y"] < 400, "the crisis panel is not at the top"
    expect(page.locator("#check-in-received")).to_be_visible()
    axe(page)

    with live_server.app.app_context():
        status, priority = db.session.execute(
            select(ConsultationRequest.status, ConsultationRequest.priority).where(
                ConsultationRequest.reference == reference
            )
        ).one()
        db.session.remove()
    assert (status.value, priority.value) == ("new", "urgent")

    staff = new_context().new_page()
    sign_in(staff, STAFF_EMAIL)
    expect(staff.locator("#urgent-banner")).to_be_visible()
    row = staff.locator("table.queue-table tbody tr", has=staff.get_by_role("link", name=reference))
    expect(row).to_have_count(1)  # in the default (open) queue again
    expect(row).to_have_class(re.compile(r"\bpriority-urgent\b"))
    expect(row.locator(".latest-score")).to_have_text("latest 12 (-12)")
    row.get_by_role("link", name=reference).click()
    staff.wait_for_url("**/staff/requests/*")
    section = staff.locator("#trajectory")
    expect(section.locator("#trajectory-response")).to_contain_text("Response since")
    expect(section.locator("svg.chart-trajectory")).to_be_visible()
    expect(section.locator("#trajectory-table tbody tr")).to_have_count(2)
    axe(staff)


def test_an_expired_link_is_a_clear_page(page: Page, axe, live_server):
    _, path = closed_request_with_a_check_in(live_server, "Checkinexpired", sent_hours_ago=73)
    response = page.goto(path)
    assert response.status == 410
    expect(page.locator("#check-in-expired")).to_contain_text("This link has expired")
    expect(page.locator("#support")).to_be_visible()
    axe(page)
