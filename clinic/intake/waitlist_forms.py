"""The waitlist forms on the patient's manage page, and the answer to an offer: shape checks only."""

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from clinic.i18n import lazy_gettext as _l
from clinic.intake.forms import CheckboxesField, ChoiceField, required
from clinic.scheduling.waitlist import WAITLIST_DAYS, PartOfDay, Wishes
from clinic.timeutil import typed_date

# Translated when shown: in the patient's language on the manage page, in English on staff pages.
DAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
}
PART_OF_DAY_LABELS = {
    PartOfDay.ANY: _l("Any time of day"),
    PartOfDay.MORNING: _l("Mornings (starting before 12:00 noon)"),
    PartOfDay.AFTERNOON: _l("Afternoons (starting at 12:00 noon or later)"),
}


class WaitlistForm(FlaskForm):
    """POST /appointments/<token>/waitlist: `earliest`, `days` (repeated, mon … sat), `part_of_day`."""

    earliest = StringField(
        _l("The earliest day you could come"),
        validators=[required(_l("Give the earliest day you could come."))],
    )
    days = CheckboxesField(
        _l("Days that suit you"), choices=[SelectChoice(d, DAY_LABELS[d]) for d in WAITLIST_DAYS]
    )
    part_of_day = ChoiceField(
        _l("Time of day"),
        choices=[SelectChoice(p.value, label) for p, label in PART_OF_DAY_LABELS.items()],
        default=PartOfDay.ANY.value,
    )

    def validate_earliest(self, field) -> None:
        field.parsed = typed_date(field.data)
        if field.parsed is None:
            raise ValidationError(
                _("Write the date as month, day and year, for example 12/01/2026 (a day that exists).")
            )

    def wishes(self) -> Wishes:
        return Wishes(
            self.earliest.parsed,
            frozenset(self.days.data or ()),
            PartOfDay(self.part_of_day.data or PartOfDay.ANY.value),
        )


class ActionForm(FlaskForm):
    """A button that posts: leave the waitlist, accept or decline an offer (only the CSRF token)."""
