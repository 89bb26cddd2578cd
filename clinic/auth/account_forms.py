"""Forms of the signed-in user's own account, and of the second sign-in step. Shape only."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError


class CodeForm(FlaskForm):
    """A 6-digit code from the authenticator app, or a recovery code (checked by the service)."""

    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code."), Length(max=64, message="That is too long for a code.")],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"},
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=1000)],
    )
    new_password = PasswordField(
        "New password", validators=[DataRequired("Enter a new password."), Length(max=1000)]
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired("Enter the new password again."), Length(max=1000)],
    )

    def validate_confirm_password(self, field) -> None:
        if self.new_password.data and field.data != self.new_password.data:
            raise ValidationError("The two new passwords are not the same. Type the new one twice.")
