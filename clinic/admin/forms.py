"""Admin forms: shape only (formats, ranges, required fields). Rules needing the database live in services."""

from collections.abc import Iterable
from datetime import date, time
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from clinic.scheduling import WEEKDAY_KEYS, WEEKDAY_NAMES, DayHours

TIMEZONE_MESSAGE = "Choose a timezone from the list, such as America/New_York."
HHMM_MESSAGE = "Write the time as HH:MM, 24-hour (for example 09:00 or 17:30)."


def parse_hhmm(value: str) -> time:
    """`HH:MM` (24-hour) to a time; ValueError otherwise."""
    value = (value or "").strip()
    if len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit():
        raise ValueError("not HH:MM")
    return time(int(value[:2]), int(value[3:]))


def hhmm(form, field) -> None:
    """A `HH:MM` 24-hour time, when one is typed."""
    if field.data and field.data.strip():
        try:
            parse_hhmm(field.data)
        except ValueError:
            raise ValidationError(HHMM_MESSAGE) from None


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class IsoDateField(DateField):
    """A `YYYY-MM-DD` date with a message that says how to write it, within years the clinic can mean
    (the ends of the calendar, such as 9999-12-31, have no day after them to compute with)."""

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def pre_validate(self, form) -> None:
        if self.data is not None and not EARLIEST_DATE <= self.data <= LATEST_DATE:
            raise ValidationError(f"Choose a date from {EARLIEST_DATE.year} to {LATEST_DATE.year}.")

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Write the date as YYYY-MM-DD.") from None


def _time_or_none(value: str | None) -> time | None:
    try:
        return parse_hhmm(value or "")
    except ValueError:
        return None


class ConfirmMixin:
    """A hidden `confirm` field: "yes" once the admin has seen the bookings a change affects."""

    @property
    def is_confirmed(self) -> bool:
        return (self.confirm.data or "").strip().lower() == "yes"  # type: ignore[attr-defined]


class HoursForm(ConfirmMixin, FlaskForm):
    """One row per weekday: `mon_opens`, `mon_closes`, `mon_closed` … `sun_closed`."""

    confirm = HiddenField()

    def day_fields(self):
        """(weekday name, opens, closes, closed) for each day, Monday first."""
        return [
            (name, self[f"{key}_opens"], self[f"{key}_closes"], self[f"{key}_closed"])
            for key, name in zip(WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True)
        ]

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for _, opens, closes, closed in self.day_fields():
            if closed.data:  # times typed on a closed day are kept on the page but not checked or saved
                opens.errors, closes.errors = [], []
                continue
            for f in (opens, closes):
                if not (f.data or "").strip() and not f.errors:
                    f.errors.append("Give a time, or tick Closed.")
            start, end = _time_or_none(opens.data), _time_or_none(closes.data)
            if start and end and end <= start and not closes.errors:
                closes.errors.append("Closing time must be after opening time.")
        return not any(f.errors for f in self)

    def proposed_hours(self) -> dict[int, DayHours | None]:
        hours: dict[int, DayHours | None] = {}
        for weekday, (_, opens, closes, closed) in enumerate(self.day_fields()):
            start, end = _time_or_none(opens.data), _time_or_none(closes.data)
            hours[weekday] = None if closed.data or not (start and end) else DayHours(start, end)
        return hours

    @classmethod
    def initial(cls, hours: dict[int, DayHours | None]) -> dict:
        data = {}
        for weekday, key in enumerate(WEEKDAY_KEYS):
            day = hours.get(weekday)
            data[f"{key}_opens"] = f"{day.opens:%H:%M}" if day else ""
            data[f"{key}_closes"] = f"{day.closes:%H:%M}" if day else ""
            data[f"{key}_closed"] = day is None
        return data


for _key, _name in zip(WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True):
    setattr(HoursForm, f"{_key}_opens", StringField(f"{_name} opens", validators=[Optional(), hhmm]))
    setattr(HoursForm, f"{_key}_closes", StringField(f"{_name} closes", validators=[Optional(), hhmm]))
    setattr(HoursForm, f"{_key}_closed", BooleanField(f"{_name} closed"))


class ClosureForm(ConfirmMixin, FlaskForm):
    start_date = IsoDateField("First day", validators=[InputRequired("Give the first closed day.")])
    end_date = IsoDateField("Last day", validators=[InputRequired("Give the last closed day.")])
    start_time = StringField("From (optional)", validators=[Optional(), hhmm])
    end_time = StringField("Until (optional)", validators=[Optional(), hhmm])
    reason = StringField(
        "Reason",
        validators=[
            DataRequired("Give a reason, such as a holiday or training."),
            Length(max=200, message="Keep the reason under 200 characters."),
        ],
    )
    confirm = HiddenField()

    def times(self) -> tuple[time | None, time | None]:
        return _time_or_none(self.start_time.data), _time_or_none(self.end_time.data)


class DeleteForm(FlaskForm):
    """An empty form: its CSRF token guards the delete buttons."""


def kept_when_left_out(form, field) -> None:
    """A field missing from the post (a page from before it existed) keeps the value the form was given."""
    if not field.raw_data:
        field.errors[:] = []
        raise StopValidation()


class AffectedEmailForm(FlaskForm):
    """The flagged bookings whose patients to email (ids; which are still flagged is the service's call)."""

    booking_id = SelectMultipleField("Patients to email", coerce=int, validate_choice=False)


class TimezoneField(SelectField):
    """A select of IANA timezones, grouped by region (`set_timezones`); anything else is refused."""

    def pre_validate(self, form) -> None:
        if self.data not in {choice.value for choice in self.choices or []}:
            raise ValidationError(TIMEZONE_MESSAGE)


class SettingsForm(ConfirmMixin, FlaskForm):
    slot_minutes = IntegerField(
        "Slot length (minutes)",
        validators=[
            InputRequired("Give the slot length in minutes."),
            NumberRange(10, 240, "The slot length must be from 10 to 240 minutes."),
        ],
    )
    capacity = IntegerField(
        "Patients per slot",
        validators=[
            InputRequired("Give how many patients one slot can take."),
            NumberRange(1, 20, "Capacity must be from 1 to 20."),
        ],
    )
    min_notice_hours = IntegerField(
        "Minimum notice (hours)",
        validators=[
            InputRequired("Give the minimum notice in hours."),
            NumberRange(0, 168, "Notice must be from 0 to 168 hours (a week)."),
        ],
    )
    horizon_days = IntegerField(
        "Booking horizon (days)",
        validators=[
            InputRequired("Give how many days ahead patients may book."),
            NumberRange(1, 365, "The horizon must be from 1 to 365 days."),
        ],
    )
    offer_minutes = IntegerField(
        "Waitlist offer hold (minutes)",
        validators=[
            kept_when_left_out,
            InputRequired("Give how long a waitlist offer holds its time, in minutes."),
            NumberRange(5, 1440, "An offer holds its time from 5 to 1440 minutes (a day)."),
        ],
    )
    timezone = TimezoneField(
        "Timezone",
        validators=[DataRequired("Choose the clinic's timezone.")],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    name = StringField("Clinic name", validators=[DataRequired("Give the clinic's name."), Length(max=120)])
    phone = StringField("Phone", validators=[DataRequired("Give the clinic's phone number."), Length(max=40)])
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Give the clinic's email address."),
            Email("Give a valid email address."),
            Length(max=254),
        ],
    )
    address = TextAreaField(
        "Address", validators=[DataRequired("Give the clinic's address."), Length(max=300)]
    )
    require_two_factor = BooleanField("Require two-factor sign-in for every staff user")
    confirm = HiddenField()

    def set_timezones(self, names: Iterable[str]) -> "SettingsForm":
        """Offer these IANA names, by region (America/New_York under America), plus the current value."""
        names = list(names)
        if (
            self.timezone.data
            and self.timezone.data not in names
            and self.timezone.data in available_timezones()
        ):
            names.append(self.timezone.data)
        self.timezone.choices = [
            SelectChoice(
                name, name.partition("/")[2].replace("_", " ") or name, optgroup=name.partition("/")[0]
            )
            for name in sorted(names)
        ]
        return self

    def validate_timezone(self, field) -> None:
        if (field.data or "").strip() not in available_timezones():
            raise ValidationError(TIMEZONE_MESSAGE)


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    actor = StringField("Actor (email or id)", validators=[Optional(), Length(max=254)])
    # The known actions by family (the route sets them from the audit log's catalogue).
    action = SelectField("Action", choices=[SelectChoice("", "All actions")], default="")
    from_date = IsoDateField("From", validators=[Optional()], name="from")
    to_date = IsoDateField("To", validators=[Optional()], name="to")
    every_view = BooleanField("Show every view (not one line per visit)", name="views")

    def set_actions(self, choices: list[tuple[str, str, str | None]]) -> "AuditFilterForm":
        self.action.choices = [SelectChoice(value, label, optgroup=group) for value, label, group in choices]
        return self

    def validate_to_date(self, field) -> None:
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError("The end date must be on or after the start date.")
