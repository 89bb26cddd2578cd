"""Settings refuse control characters (issue 15, finding 7): a line break in the clinic's name went into
every email subject and made every later intake answer 500. Refused beside the field, nothing saved,
everything typed kept; an address may still have one line per line."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ClinicSettings
from tests.conftest import csrf_token_from

FORM = {
    "slot_minutes": "30",
    "capacity": "1",
    "min_notice_hours": "2",
    "horizon_days": "60",
    "timezone": "America/New_York",
    "name": "Northfield Clinic",
    "phone": "(212) 555-0142",
    "email": "care@northfield-clinic.example",
    "address": "120 Harbor Street, Suite 300, New York, NY 10001",
    "require_two_factor": "y",
}


def post(client, **changes):
    token = csrf_token_from(client.get("/admin/settings").get_data(as_text=True))
    return client.post("/admin/settings", data={"csrf_token": token, **FORM, **changes})


def stored(app, name: str) -> str:
    with app.app_context():
        return db.session.scalar(select(getattr(ClinicSettings, name)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Northfield\nClinic"),
        ("name", "Northfield\r\nBcc: all@example.com"),
        ("name", "North\tfield"),
        ("name", "North\x00field"),
        ("name", "North\u2028field"),
        ("phone", "(212)\n555-0142"),
        ("phone", "212\x1b[31m555"),
        ("address", "120 Harbor Street\x00"),
        ("address", "120 Harbor Street\tSuite 300"),
    ],
)
def test_control_characters_are_refused_beside_the_field(app, admin_client, field, value):
    before = stored(app, field)
    response = post(admin_client, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    message = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert message, f"no error beside {field}"
    assert "control characters" in unescape(message.group(1)) or "line breaks" in unescape(message.group(1))
    assert stored(app, field) == before


def test_an_address_may_have_line_breaks(app, admin_client):
    response = post(admin_client, address="120 Harbor Street\r\nSuite 300\r\nNew York, NY 10001")
    assert response.status_code == 303
    assert stored(app, "address").splitlines() == ["120 Harbor Street", "Suite 300", "New York, NY 10001"]


def test_what_was_typed_is_kept_on_the_page(admin_client):
    html = post(admin_client, name="Harbor\nClinic", phone="(212) 555-0199").get_data(as_text=True)
    assert "(212) 555-0199" in html
