"""The filtered queue as CSV, produced row by row so that memory stays flat however many rows there are."""

from __future__ import annotations

import csv
import io
import re
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
# A spreadsheet may split a cell wherever it sees a separator it guesses (`;` in much of Europe, a tab, a
# line break), so a formula can start after any of them too, not only at the start of the cell.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n])(\s*)(?=[=+\-@])")
R = ConsultationRequest
RECORD_TYPE = "request"


def neutralise(value: object) -> str:
    """Stop a spreadsheet running any part of a cell as a formula (OWASP CSV injection): prefix ' to the
    cell when it starts with = + - @ tab or CR, and to every piece after a `,` `;` tab or line break that
    starts (after spaces) with = + - or @. `x;=1+1` becomes `x;'=1+1`."""
    text = "" if value is None else str(value)
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1\2'", text)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


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
