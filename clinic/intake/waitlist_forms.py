"""The waitlist forms on the patient's manage page, and the answer to an offer: shape checks only."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from clinic.intake.forms import ISO_DATE, CheckboxesField, ChoiceField, required
from clinic.scheduling.waitlist import WAITLIST_DAYS, PartOfDay, Wishes

DAY_LABELS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
}
PART_OF_DAY_LABELS = {
    PartOfDay.ANY: "Any time of day",
    PartOfDay.MORNING: "Mornings (starting before 12:00 noon)",
    PartOfDay.AFTERNOON: "Afternoons (starting at 12:00 noon or later)",
}


class WaitlistForm(FlaskForm):
    """POST /appointments/<token>/waitlist: `earliest`, `days` (repeated, mon … sat), `part_of_day`."""

    earliest = StringField(
        "The earliest day you could come", validators=[required("Give the earliest day you could come.")]
    )
    days = CheckboxesField(
        "Days that suit you", choices=[SelectChoice(d, DAY_LABELS[d]) for d in WAITLIST_DAYS]
    )
    part_of_day = ChoiceField(
        "Time of day",
        choices=[SelectChoice(p.value, label) for p, label in PART_OF_DAY_LABELS.items()],
        default=PartOfDay.ANY.value,
    )

    def validate_earliest(self, field) -> None:
        text = (field.data or "").strip()
        if not ISO_DATE.fullmatch(text):
            raise ValidationError("Write the date as YYYY-MM-DD, for example 2026-12-01.")
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ValidationError("That date does not exist: check the day and the month.") from None

    def wishes(self) -> Wishes:
        return Wishes(
            date.fromisoformat(self.earliest.data.strip()),
            frozenset(self.days.data or ()),
            PartOfDay(self.part_of_day.data or PartOfDay.ANY.value),
        )


class ActionForm(FlaskForm):
    """A button that posts: leave the waitlist, accept or decline an offer (only the CSRF token)."""
