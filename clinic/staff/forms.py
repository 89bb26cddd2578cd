"""Forms of the staff dashboard: they check shape; the workflow and the services check the rules."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from clinic.services.casework.cases import NOTE_MAX
from clinic.services.casework.queue import QueueFilters
from clinic.timeutil import typed_date
from clinic.triage.enums import ContactOutcome, Priority, RequestStatus

# The date fields show month/day/year (US English): the hint and the message say it the same way.
DATE_HINT = "Slot date: month, day and year"
DATE_MESSAGE = "Enter a date as month, day and year, for example 11/23/2026."


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _iso_date(form, field) -> None:
    if not field.data:
        return
    parsed = typed_date(field.data)
    if parsed is None:
        raise ValidationError(DATE_MESSAGE)
    if not 1900 <= parsed.year <= 2200:
        raise ValidationError("Choose a date between the years 1900 and 2200.")
    field.parsed = parsed


def printable_only(form, field) -> None:
    """No control characters in a search: nobody types them, and PostgreSQL refuses NUL outright."""
    if field.data and not field.data.isprintable():
        raise ValidationError("Search for letters, digits and punctuation only.")


class QueueFilterForm(FlaskForm):
    """The queue's filters, read from the query string (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = SearchField(
        "Search",
        validators=[
            Optional(),
            Length(max=100, message="Search for at most 100 characters."),
            printable_only,
        ],
        description="A whole first or last name, an email, a phone number or a reference",
    )
    status = SelectField(
        "Status",
        choices=_choices(
            [("", "Open requests"), ("all", "All statuses")] + [(s.value, s.label) for s in RequestStatus]
        ),
        validate_choice=False,
    )
    priority = SelectField(
        "Priority",
        choices=_choices([("", "Any priority")] + [(p.value, p.value.capitalize()) for p in Priority]),
        validate_choice=False,
    )
    assigned = SelectField(
        "Assigned", choices=_choices([("", "Anyone"), ("me", "Assigned to me")]), validate_choice=False
    )

    CHOICE_MESSAGES = {
        "status": "Choose one of the statuses in the list.",
        "priority": "Choose urgent, high or routine.",
        "assigned": "Choose anyone or “assigned to me”.",
    }

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, message in self.CHOICE_MESSAGES.items():
            field = self[name]
            if field.data and field.data not in {choice.value for choice in field.choices}:
                field.errors = [*field.errors, message]
                ok = False
        start, end = getattr(self["from"], "parsed", None), getattr(self["to"], "parsed", None)
        if start and end and end < start:
            self["to"].errors = [*self["to"].errors, "The end date must be on or after the start date."]
            ok = False
        return ok

    def filters(self, *, user_id: int) -> QueueFilters:
        """The valid filters only: a bad field is reported beside it and otherwise ignored."""

        def ok(name: str) -> bool:
            return bool(self[name].data) and not self[name].errors

        return QueueFilters(
            status=RequestStatus(self.status.data) if ok("status") and self.status.data != "all" else None,
            # Without a status, the queue shows open requests, except for a search, which finds any.
            open_only=not self.status.data and not ok("q"),
            priority=Priority(self.priority.data) if ok("priority") else None,
            q=self.q.data.strip() if ok("q") else "",
            date_from=getattr(self["from"], "parsed", None) if ok("from") else None,
            date_to=getattr(self["to"], "parsed", None) if ok("to") else None,
            assigned_to_id=user_id if ok("assigned") else None,
        )


# "from" is a Python keyword, so these two fields are added by name.
setattr(
    QueueFilterForm,
    "from",
    StringField(
        "Slot from",
        validators=[Optional(), _iso_date],
        description=DATE_HINT,
    ),
)
QueueFilterForm.to = StringField("Slot to", validators=[Optional(), _iso_date], description=DATE_HINT)


CONFIRMED = "yes"  # the `confirm` field of a destructive action, once staff have read what it will do


class StatusForm(FlaskForm):
    """One button per allowed next status, each submitting `status`. Declining or cancelling asks first:
    without `confirm=yes` the page says what will happen (who is emailed) and asks again."""

    status = StringField("Status", validators=[DataRequired("Choose the new status.")])
    confirm = StringField("Confirm")

    @property
    def confirmed(self) -> bool:
        return self.confirm.data == CONFIRMED

    def target(self) -> RequestStatus | None:
        try:
            return RequestStatus(self.status.data)
        except ValueError:
            return None


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Add a note",
        validators=[
            DataRequired("Write something before saving the note."),
            Length(max=NOTE_MAX, message=f"A note can be at most {NOTE_MAX} characters."),
        ],
    )


ME = "me"  # `staff_id=me`: the signed-in user (SPEC 6)


class AssignForm(FlaskForm):
    """`staff_id`: a staff member's id from the list, empty for nobody, or `me`."""

    staff_id = SelectField("Assigned to", choices=_choices([("", "Nobody")]), validate_choice=False)

    def set_staff(self, staff: list[tuple[int, str]]) -> AssignForm:
        self.staff_id.choices = _choices([("", "Nobody")] + [(str(i), name) for i, name in staff])
        return self

    def validate_staff_id(self, field) -> None:
        if field.data != ME and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choose a member of staff from the list, or nobody.")

    def chosen(self, *, me: int) -> int | None:
        if self.staff_id.data == ME:
            return me
        return int(self.staff_id.data) if self.staff_id.data else None


class ContactForm(FlaskForm):
    """A contact attempt logged in one submit: outcome, note, then a status move, a follow-up day and
    "assign to me", all optional (SPEC 6; the rules are the workflow's)."""

    outcome = RadioField(
        "Outcome",
        choices=_choices([(o.value, o.label) for o in ContactOutcome]),
        validators=[DataRequired("Choose how the contact went.")],
    )
    note = TextAreaField(
        "Note (optional; patients never see it)",
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"A note can be at most {NOTE_MAX} characters."),
        ],
        render_kw={"rows": 2},
    )
    status = SelectField(
        "Then move the request to", choices=_choices([("", "No change")]), validate_choice=False
    )
    follow_up = StringField("Call again on (optional)", validators=[Optional(), _iso_date])
    assign_to_me = BooleanField("Assign to me")

    def set_moves(self, current: RequestStatus, moves: tuple[RequestStatus, ...]) -> ContactForm:
        label = f"No change (stays {current.label.lower()})"
        self.status.choices = _choices([("", label)] + [(s.value, s.label) for s in moves])
        return self

    def validate_status(self, field) -> None:
        """Any status by name: whether the move is allowed is the workflow's to say."""
        if field.data and field.data not in {s.value for s in RequestStatus}:
            raise ValidationError("Choose one of the statuses offered.")

    def target(self) -> RequestStatus | None:
        return RequestStatus(self.status.data) if self.status.data else None

    def follow_up_on(self) -> date | None:
        return getattr(self.follow_up, "parsed", None)


class RescheduleForm(FlaskForm):
    slot = StringField("New time", validators=[DataRequired("Choose a new time.")])


class CancelForm(FlaskForm):
    """The CSRF token, and `confirm=yes` once staff have seen what the cancel will do (who is emailed)."""

    confirm = StringField("Confirm")

    @property
    def confirmed(self) -> bool:
        return self.confirm.data == CONFIRMED
