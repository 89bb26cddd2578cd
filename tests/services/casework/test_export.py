"""clinic.services.casework.export: the queue as CSV, safe in a spreadsheet, audited by filter names."""

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent
from clinic.services.casework import export
from clinic.services.casework.queue import QueueFilters
from clinic.triage.enums import Priority

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
        ("-5", "'-5"),
        ("@cmd", "'@cmd"),
    ],
)
def test_neutralise(value, safe):
    assert export.neutralise(value) == safe


def test_export_memory_stays_flat_in_batches(ctx, add_request):
    """The generator fetches in batches with one statement: rows are written as they arrive."""
    for _ in range(7):
        add_request()
    produced = list(export.lines(QueueFilters(), tz=NY, batch=2))
    assert len(produced) == 8
    assert produced[0] == ",".join(export.HEADER) + "\r\n"


def test_lines_follow_the_filters(ctx, add_request):
    add_request(priority=Priority.URGENT, last_name="Wanted")
    add_request(priority=Priority.ROUTINE, last_name="Other")
    produced = list(export.lines(QueueFilters(priority=Priority.URGENT), tz=NY))
    assert len(produced) == 2 and "Wanted" in produced[1]


def test_record_export_names_the_filters_and_commits(ctx, make_staff):
    staff_id = make_staff()
    export.record_export(QueueFilters(q="secret", priority=Priority.HIGH), actor_id=staff_id)
    db.session.remove()
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_id, event.details) == (
        "request.export",
        staff_id,
        {"filters": ["priority", "q"]},
    )
