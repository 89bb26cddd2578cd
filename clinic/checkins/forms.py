"""POST /check-ins/<token>: the intake's PHQ-9, the same fields, wording and validation (one definition)."""

from flask_wtf import FlaskForm

from clinic.intake.forms import Phq9Questions


class CheckInForm(Phq9Questions, FlaskForm):
    """`phq9_1` … `phq9_9` (required, 0-3) and `phq9_difficulty` (optional, 0-3)."""
