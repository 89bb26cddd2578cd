"""Query discipline: every list and detail page, and the API, sends a fixed number of SQL statements
whatever the data size.

Each page is counted (the `queries()` fixture: a SQLAlchemy `before_cursor_execute` listener) with 3
requests in the database, then again with 40, which bring their bookings, slot claims, notes, audit events
and assignees: equal counts mean no statement per row, per slot or per day. A generous ceiling on the count
also catches a page that loads more than it shows. `make bench` measures the same pages at 100,000.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ConsultationRequest, ContactAttempt, Note, StaffUser
from clinic.services.booking import links
from clinic.triage.enums import ContactOutcome, PreferredContact, Priority, RequestStatus, Role
from tests.conftest import forget_process_caches

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # Monday 06:00 in New York
SMALL, LARGE = 3, 40
# Statements per page at most, whatever the page. The request page is the largest: the request and its
# booking, notes, contacts, history, course, check-ins, waitlist place and the flag it may carry.
CEILING = 18
# The first three requests already match every filter below (urgent, high and routine, all new), so that
# the small count and the large one load the same kinds of rows.
PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.ROUTINE)
STATUSES = (
    RequestStatus.NEW,
    RequestStatus.NEW,
    RequestStatus.NEW,
    RequestStatus.CONTACTED,
    RequestStatus.SCHEDULED,
    RequestStatus.COMPLETED,
    RequestStatus.CANCELLED,
)

PUBLIC_PAGES = [
    "/",
    "/learn/",
    "/learn/what-is-ketamine-therapy",
    "/contact",
    "/book",
    "/book?week=2026-11-30",
    "/api/v1/availability",
    "/api/v1/availability?days=14",
    "/api/v1/availability?days=60",
]
STAFF_PAGES = [
    "/staff/",
    "/staff/?status=all",
    "/staff/?priority=high&status=new",
    "/staff/?q=robin",
    "/staff/?q=%2B1+212+555+0001",
    "/staff/?q=2125550001",
    "/staff/?q=555-0001",
    "/staff/?q=%28212%29+555-0001",
    "/staff/?q=0001",
    "/staff/?status=all&q=robin0%40example.com",
    "/staff/?assigned=me",
    "/staff/schedule?date=2026-11-23",
    "/staff/schedule?date=2026-11-23&view=week",
    "/staff/calls?date=2026-11-23",
    "/staff/calls?date=2026-11-30",
    "/staff/requests.csv?status=all",
]
ADMIN_PAGES = [
    "/admin/audit",
    "/admin/staff",
    "/admin/hours",
    "/admin/closures",
    "/admin/settings",
]


def slot(i: int) -> datetime:
    """The i-th slot of the clinic's default grid from Monday 2026-11-23 (19 a day, Sundays skipped)."""
    day = NOW.astimezone(NY).date()
    for _ in range(i // 19):
        day += timedelta(days=2 if day.weekday() == 5 else 1)
    return (datetime.combine(day, time(8), tzinfo=NY) + timedelta(minutes=30 * (i % 19))).astimezone(UTC)


@pytest.fixture
def grow(app, clock, add_request) -> Callable[[int], list[int]]:
    """`grow(n)`: bring the database to n requests, each with a booking (and its claim while active), a note
    and audit events. Each request has its own colleague as assignee and note author (the third request
    goes to whoever is signed in, for `assigned=me`), so a page that loaded people row by row would send
    more statements at 40 requests than at 3. Returns every request id."""
    clock.set(NOW)
    ids: list[int] = []

    def to(size: int) -> list[int]:
        with app.app_context():
            for i in range(len(ids), size):
                if i == 2:
                    colleague = db.session.scalar(select(func.min(StaffUser.id)))
                else:
                    colleague = _add_colleague(f"Colleague {i}")
                ids.append(_add_request(add_request, i, colleague))
            db.session.commit()
        return list(ids)

    return to


def _add_colleague(name: str) -> int:
    """A member of staff who never signs in here (no password hashing: the tests stay fast)."""
    user = StaffUser(
        email=f"{name.lower().replace(' ', '.')}@clinic.example",
        name=name,
        role=Role.STAFF,
        password_hash="not-a-hash",
    )
    db.session.add(user)
    db.session.flush()
    return user.id


def _add_request(add_request, i: int, author_id: int) -> int:
    """The i-th request (through the one row factory), with a note, a contact attempt (by its own colleague),
    a follow-up day and three audit events."""
    priority, status = PRIORITIES[i % len(PRIORITIES)], STATUSES[i % len(STATUSES)]
    active = status != RequestStatus.CANCELLED
    created_at = NOW - timedelta(days=i % 20, hours=1)
    request_id = add_request(
        priority=priority,
        status=status,
        created_at=created_at,
        updated_at=created_at,
        phq9=(1,) * 8 + (1 if priority == Priority.URGENT else 0,),
        conditions=["hypertension"] if priority == Priority.HIGH else [],
        preferred_contact=PreferredContact.EMAIL,
        assigned_to_id=author_id,
        follow_up_on=NOW.astimezone(NY).date() + timedelta(days=i % 10),
        slot=slot(i),
        seat=1,
        cancelled=not active,
    )
    booking_id = db.session.scalar(select(Booking.id).where(Booking.request_id == request_id))
    note = Note(request_id=request_id, author_id=author_id, body=f"Called back ({i}).", created_at=created_at)
    db.session.add(note)
    db.session.add(
        ContactAttempt(
            request_id=request_id,
            author_id=author_id,
            outcome=ContactOutcome.VOICEMAIL,
            note=f"Left a message ({i}).",
            created_at=created_at,
        )
    )
    db.session.flush()
    db.session.add_all(
        [
            AuditEvent(
                action="request.view",
                actor_id=author_id,
                record_type="request",
                record_id=request_id,
                at=created_at,
            ),
            AuditEvent(
                action="request.note",
                actor_id=author_id,
                record_type="request",
                record_id=request_id,
                at=created_at,
                details={"note_id": note.id},
            ),
            AuditEvent(
                action="booking.cancel" if not active else "request.status",
                actor_id=author_id,
                record_type="booking" if not active else "request",
                record_id=booking_id if not active else request_id,
                at=created_at,
                details=None if not active else {"from": "new", "to": status.value},
            ),
        ]
    )
    return request_id


def count(client, queries, path: str) -> int:
    """Statements sent for one GET of `path` with the worker's caches cold, streamed bodies included; the
    page must answer 200."""
    forget_process_caches(client.application)
    with queries() as statements:
        response = client.get(path)
        response.get_data()  # a streamed body (the CSV) runs its queries while it is read
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return len(statements)


def assert_flat(client, queries, grow, path: str) -> None:
    grow(SMALL)
    client.get(path)  # caches filled, templates compiled: count the steady state
    small = count(client, queries, path)
    grow(LARGE)
    large = count(client, queries, path)
    assert small == large, f"{path}: {small} statements with {SMALL} requests, {large} with {LARGE}"
    assert large <= CEILING, f"{path}: {large} statements"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_and_api_make_a_fixed_number_of_queries(client, queries, grow, path):
    assert_flat(client, queries, grow, path)


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_make_a_fixed_number_of_queries(staff_client, queries, grow, path):
    assert_flat(staff_client, queries, grow, path)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_make_a_fixed_number_of_queries(admin_client, queries, grow, path):
    assert_flat(admin_client, queries, grow, path)


def test_request_detail_costs_the_same_with_one_note_or_forty(staff_client, queries, grow, app):
    """A request's notes, contacts, their authors and its history grow; the page's statements do not."""
    request_id = grow(SMALL)[0]
    staff_client.get(f"/staff/requests/{request_id}")
    small = count(staff_client, queries, f"/staff/requests/{request_id}")
    with app.app_context():
        for k in range(LARGE):
            author = _add_colleague(f"Author {k}")
            note = Note(request_id=request_id, author_id=author, body=f"Follow-up {k}", created_at=NOW)
            db.session.add(note)
            contact = ContactAttempt(
                request_id=request_id, author_id=author, outcome=ContactOutcome.NO_ANSWER, created_at=NOW
            )
            db.session.add(contact)
            db.session.flush()
            db.session.add(
                AuditEvent(
                    action="request.contact",
                    actor_id=None,
                    record_type="request",
                    record_id=request_id,
                    at=NOW,
                    details={"contact_id": contact.id},
                )
            )
            db.session.add(
                AuditEvent(
                    action="request.note",
                    actor_id=None,  # not the author: the history's actors must not preload the notes' authors
                    record_type="request",
                    record_id=request_id,
                    at=NOW,
                    details={"note_id": note.id},
                )
            )
        db.session.commit()
    grow(LARGE)
    large = count(staff_client, queries, f"/staff/requests/{request_id}")
    assert small == large, f"detail: {small} statements with 1 note, {large} with {LARGE + 1}"
    assert large <= CEILING


def test_patient_manage_page_makes_a_fixed_number_of_queries(client, queries, grow, app):
    request_id = grow(LARGE)[1]
    with app.app_context():
        token = links.manage_token(db.session.get(ConsultationRequest, request_id))
    client.get(f"/appointments/{token}")
    assert count(client, queries, f"/appointments/{token}") <= CEILING


def test_the_queue_pages_through_forty_requests_without_a_query_per_row(staff_client, queries, grow):
    """Page 1 and page 2 of the queue cost the same: rows, bookings and assignees come in fixed statements."""
    grow(LARGE)
    staff_client.get("/staff/?status=all")
    assert count(staff_client, queries, "/staff/?status=all") == count(
        staff_client, queries, "/staff/?status=all&page=2"
    )
