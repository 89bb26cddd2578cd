"""Forms of the staff course pages: they check shape (a date, a time, a choice); the services check rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField
from wtforms.validators import Length, Optional

START_MESSAGE = "Give a date and time, for example 2027-03-01 09:00."
BACK_TO = ("course", "board", "detail", "rems")


def parse_start(value: str | None, tz: ZoneInfo) -> datetime:
    """A session start as a browser's date-and-time field sends it (`2027-03-01T09:00`, clinic time), or
    ISO 8601 with an offset; the UTC instant, or ValueError."""
    value = (value or "").strip().replace(" ", "T", 1)
    if not 16 <= len(value) <= 40:
        raise ValueError(START_MESSAGE)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(START_MESSAGE) from None
    if not 2000 <= parsed.year <= 2100:
        raise ValueError("Choose a date between the years 2000 and 2100.")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def local_value(moment: datetime, tz: ZoneInfo) -> str:
    """What a date-and-time field shows for an instant: clinic time, to the minute."""
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def parse_day(value: str | None) -> date:
    value = (value or "").strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("Write the date as YYYY-MM-DD, for example 2027-03-01.") from None
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        raise ValueError("Choose a date between the years 2000 and 2100.")
    return day


def parse_time(value: str | None) -> time:
    value = (value or "").strip()
    if len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit():
        raise ValueError("Write the time as HH:MM, 24-hour, for example 09:00.")
    hour, minute = int(value[:2]), int(value[3:])
    if hour > 23 or minute > 59:
        raise ValueError("Write the time as HH:MM, 24-hour, for example 09:00.")
    return time(hour, minute)


class RepeatedField(Field):
    """Every value posted under one name (`session`, repeated), stripped, in the order sent."""

    def process_formdata(self, valuelist) -> None:
        self.data = [str(v).strip() for v in valuelist]

    def _value(self) -> str:
        return ""


class BackMixin:
    back = HiddenField()

    def back_to(self) -> str:
        value = (self.back.data or "").strip()  # type: ignore[attr-defined]
        return value if value in BACK_TO else "course"


class CourseForm(FlaskForm):
    """POST /staff/requests/<id>/course: `kind` and `session` (repeated)."""

    kind = StringField("Treatment")
    session = RepeatedField("Sessions", default=list)


class RemsForm(BackMixin, FlaskForm):
    enrolled_on = StringField("Enrollment date", validators=[Optional(), Length(max=10)])
    rems_id = StringField("REMS patient ID", validators=[Optional(), Length(max=40)])


class SessionStatusForm(BackMixin, FlaskForm):
    status = StringField("Outcome", validators=[Length(max=16)])
    confirm = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return (self.confirm.data or "").strip().lower() == "yes"


class SessionMoveForm(BackMixin, FlaskForm):
    start = StringField("New start", validators=[Length(max=40)])


class SessionActionForm(BackMixin, FlaskForm):
    """A button with nothing to fill in (driver confirmed, REMS form sent): the CSRF token, and where to
    come back to."""
