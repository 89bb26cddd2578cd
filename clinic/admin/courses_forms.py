"""Admin forms for chairs and treatment kinds: shape only; the course services check the rules."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from clinic.admin.forms import ConfirmMixin

MINUTES = "Give a whole number of minutes."


class ChairForm(ConfirmMixin, FlaskForm):
    """POST /admin/chairs: `name`, `active`; `chair_id` names the chair changed (empty: a new chair)."""

    chair_id = HiddenField()
    name = StringField("Name", validators=[Length(max=60, message="Use at most 60 characters.")])
    active = BooleanField("In use")
    confirm = HiddenField()

    def chosen_id(self) -> int | None:
        value = (self.chair_id.data or "").strip()
        return int(value) if value.isdigit() and len(value) <= 9 else None


def _minutes(label: str, low: int, high: int) -> IntegerField:
    return IntegerField(
        label,
        validators=[InputRequired(MINUTES), NumberRange(low, high, f"Give {low} to {high} minutes.")],
    )


class KindForm(ConfirmMixin, FlaskForm):
    """POST /admin/treatments: `kind` (which one), `name` and its minutes."""

    kind = HiddenField()
    name = StringField(
        "Name shown to staff", validators=[Length(max=80, message="Use at most 80 characters.")]
    )
    dose_minutes = _minutes("Dose (minutes)", 5, 240)
    monitoring_minutes = _minutes("Monitoring after the dose (minutes)", 0, 480)
    turnover_minutes = _minutes("Turnover: cleaning the chair (minutes)", 0, 120)
    confirm = HiddenField()
