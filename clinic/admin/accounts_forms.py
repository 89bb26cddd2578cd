"""Forms of the /admin/staff pages. Shape only: the password policy and the last-admin rule live in
clinic.services.accounts.users, and the views put its messages beside the fields."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length

ROLE_CHOICES = [
    SelectChoice("staff", "Staff: the queue, requests and agenda"),
    SelectChoice("admin", "Admin: also hours, closures, settings, staff accounts and the audit log"),
]


class CreateStaffForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email address."), Length(max=254)])
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=120)])
    role = RadioField(
        "Role", choices=ROLE_CHOICES, default="staff", validators=[DataRequired("Choose staff or admin.")]
    )
    password = PasswordField("Initial password", validators=[DataRequired("Enter an initial password.")])


class RoleForm(FlaskForm):
    role = RadioField("Role", choices=ROLE_CHOICES, validators=[DataRequired("Choose staff or admin.")])


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Enter a new password.")])


class ConfirmForm(FlaskForm):
    """A bare form: the CSRF token of a one-button action (deactivate, reactivate)."""
