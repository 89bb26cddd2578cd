"""The CSV export: the filtered queue, streamed, formula-safe, audited with filter names only."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, StaffUser
from clinic.services.casework.export import HEADER

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_export_is_an_attachment_named_by_clinic_date(app, staff_client, clock):
    clock.set(datetime(2026, 11, 19, 3, 0, tzinfo=UTC))  # still Nov 18 in New York
    response = staff_client.get("/staff/requests.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=requests-2026-11-18.csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert read_csv(response) == [list(HEADER)]


def test_rows_follow_the_queue_order_and_columns(app, staff_client, now, make_staff, add_request):
    helper = make_staff(email="helper@clinic.example", name="Hal Helper")
    routine = add_request(
        created_at=NOW - timedelta(hours=2),
        first_name="Rory",
        last_name="Routine",
        email="rory@example.com",
        phone="+12125550101",
        slot=datetime(2026, 11, 19, 9, 0, tzinfo=NY),
    )
    urgent = add_request(
        priority="urgent",
        created_at=NOW - timedelta(hours=1),
        first_name="Uma",
        last_name="Urgent",
        phq9=(3, 3, 3, 3, 3, 3, 3, 3, 2),
        assigned_to_id=helper,
        slot=datetime(2026, 11, 20, 14, 30, tzinfo=NY),
    )
    rows = read_csv(staff_client.get("/staff/requests.csv"))
    assert rows[0] == list(HEADER)
    assert [r[9] for r in rows[1:]] == ["Urgent", "Routine"]
    first = dict(zip(HEADER, rows[1], strict=True))
    assert first["status"] == "new" and first["priority"] == "urgent"
    assert first["phq9_score"] == "26" and first["phq9_band"] == "severe"
    assert first["slot_time"] == "2026-11-20 14:30"  # clinic time
    assert first["created"] == "2026-11-18 09:00"
    assert first["assigned"] == "Hal Helper"
    second = dict(zip(HEADER, rows[2], strict=True))
    assert second["email"] == "rory@example.com"
    assert second["phone"] == "'+12125550101"  # a leading + is neutralised like any formula start
    assert second["preferred_contact"] == "phone"
    assert second["assigned"] == ""
    assert {urgent, routine}


def test_export_applies_the_filters(app, staff_client, now, add_request):
    add_request(priority="high", created_at=NOW, last_name="Wanted")
    add_request(priority="routine", created_at=NOW, last_name="Wanted")
    add_request(priority="high", created_at=NOW, last_name="Other")
    add_request(priority="high", status="completed", created_at=NOW, last_name="Wanted")
    rows = read_csv(staff_client.get("/staff/requests.csv?priority=high"))
    assert sorted(r[9] for r in rows[1:]) == ["Other", "Wanted"]  # open requests only, as on the queue
    rows = read_csv(staff_client.get("/staff/requests.csv?priority=high&q=wanted"))
    assert [r[2] for r in rows[1:]] == ["new", "completed"]  # a search covers every status
    rows = read_csv(staff_client.get("/staff/requests.csv?priority=high&q=wanted&status=new"))
    assert len(rows) == 2


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_injection_is_neutralised(app, staff_client, now, start, add_request):
    add_request(
        created_at=NOW, first_name=f'{start}HYPERLINK("http://evil.example")', last_name=f"{start}1+1"
    )
    rows = read_csv(staff_client.get("/staff/requests.csv"))
    record = dict(zip(HEADER, rows[1], strict=True))
    assert record["first_name"] == f'\'{start}HYPERLINK("http://evil.example")'
    assert record["last_name"] == f"'{start}1+1"


def test_export_is_audited_with_filter_names_only(app, staff_client, now, add_request):
    add_request(created_at=NOW, last_name="Secretname")
    staff_client.get("/staff/requests.csv?q=Secretname&priority=routine")
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.export")).all()
        nurse = db.session.scalar(select(StaffUser.id).where(StaffUser.email == "nurse@clinic.example"))
        assert event.actor_id == nurse
        assert event.details == {"filters": ["priority", "q"]}
        assert "Secretname" not in str(event.details)


def test_export_is_streamed(app, staff_client, now, add_request):
    add_request(created_at=NOW)
    response = staff_client.get("/staff/requests.csv", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) == 2  # the header, then one chunk per row
    response.close()


def test_invalid_filters_are_400_with_a_message(app, staff_client, now):
    response = staff_client.get("/staff/requests.csv?from=someday")
    assert response.status_code == 400
    assert "Enter a date as month, day and year" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.export")).all() == []


def test_export_makes_a_fixed_number_of_queries(app, staff_client, now, queries, add_request):
    for _ in range(3):
        add_request(created_at=NOW)
    staff_client.get("/staff/requests.csv")
    with queries() as few:
        assert len(read_csv(staff_client.get("/staff/requests.csv"))) == 4
    for _ in range(40):
        add_request(created_at=NOW)
    with queries() as many:
        assert len(read_csv(staff_client.get("/staff/requests.csv"))) == 44
    assert len(few) == len(many)


def test_anonymous_cannot_export(client):
    response = client.get("/staff/requests.csv")
    assert response.headers["Location"].startswith("/staff/login")
