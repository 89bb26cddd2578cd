"""The filtered queue as CSV, produced row by row so that memory stays flat however many rows there are."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ConsultationRequest, StaffUser
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.casework.queue import QueueFilters, filter_conditions, ordered

BATCH = 500
HEADER = (
    "reference",
    "created",
    "status",
    "priority",
    "phq9_score",
    "phq9_band",
    "slot_time",
    "assigned",
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_contact",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
R = ConsultationRequest
RECORD_TYPE = "request"


def neutralise(value: object) -> str:
    """Stop a spreadsheet running a cell as a formula: prefix ' to text starting with = + - @ tab or CR."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def record_export(filters: QueueFilters, *, actor_id: int) -> None:
    """Audit the export with the names of the filters used, never their values."""
    with unit_of_work():
        record(
            "request.export", actor_id=actor_id, record_type=RECORD_TYPE, details={"filters": filters.names()}
        )


def lines(filters: QueueFilters, *, tz: ZoneInfo, batch: int = BATCH) -> Iterator[str]:
    """The header, then one CSV line per request, fetched `batch` rows at a time (one statement)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(cell) for cell in cells])
        return buffer.getvalue()

    yield line(HEADER)
    stmt = ordered(
        select(
            R.reference,
            R.created_at,
            R.status,
            R.priority,
            R.phq9_score,
            R.phq9_band,
            R.appointment_at,
            StaffUser.name,
            R.first_name,
            R.last_name,
            R.email,
            R.phone,
            R.preferred_contact,
        )
        .outerjoin(StaffUser, StaffUser.id == R.assigned_to_id)
        .where(*filter_conditions(filters, tz))
    ).execution_options(yield_per=batch)
    for row in db.session.execute(stmt):
        (
            reference,
            created_at,
            status,
            priority,
            score,
            band,
            slot,
            assigned,
            first,
            last,
            email,
            phone,
            contact,
        ) = row
        yield line(
            (
                reference,
                _local(created_at, tz),
                status.value,
                priority.value,
                score,
                band.value,
                _local(slot, tz),
                assigned or "",
                first,
                last,
                email,
                phone,
                contact.value,
            )
        )
