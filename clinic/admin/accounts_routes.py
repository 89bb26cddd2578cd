"""The /admin/staff views: staff users. Registered on the admin blueprint, so its admin guard applies."""

from functools import partial
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic.admin.accounts_forms import ConfirmForm, CreateStaffForm, PasswordResetForm, RoleForm
from clinic.admin.routes import bp
from clinic.errors import render_error
from clinic.services.accounts import two_factor, users
from clinic.services.rules.read import clinic_info

# An account that does not exist is a 404 wherever a view meets it.
bp.register_error_handler(users.AccountNotFound, lambda _: render_error(404))
RESET_DONE = "Password reset. Any session of that account has ended."


def _fail(form, error: users.AccountError) -> None:
    """Put a service error beside its field, or at the top of the form when it concerns no single field."""
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _render_list(form: CreateStaffForm, status: int = 200):
    return render_template(
        "admin/staff.html", form=form, users=users.list_users(), tz=ZoneInfo(clinic_info().timezone)
    ), status


@bp.route("/staff", methods=["GET", "POST"], endpoint="staff")
def staff_page():
    form = CreateStaffForm()
    if not form.is_submitted():
        return _render_list(form)
    if form.validate():
        try:
            user = users.create_user(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
                actor_id=current_user.id,
            )
        except users.AccountError as error:
            _fail(form, error)
        else:
            flash(f"Account created for {user.name}. They can sign in now.", "success")
            return redirect(url_for("admin.staff"), 303)
    return _render_list(form, 422)


def _render_detail(user_id: int, *, role_form=None, password_form=None, action_error=None, status=200):
    user = users.get_user(user_id)
    if user is None:
        abort(404)
    return render_template(
        "admin/staff_detail.html",
        user=user,
        role_form=role_form or RoleForm(formdata=None, role=user.role.value),
        password_form=password_form or PasswordResetForm(formdata=None),
        confirm_form=ConfirmForm(),
        action_error=action_error,
        tz=ZoneInfo(clinic_info().timezone),
    ), status


@bp.get("/staff/<int:user_id>", endpoint="staff_detail")
def staff_detail(user_id: int):
    return _render_detail(user_id)


def _change_from_form(user_id: int, form, change, saved: str, form_name: str):
    """Run `change` once `form` is valid, then back to the account; otherwise the account page again, with
    the refusal beside its field (422)."""
    if form.validate():
        try:
            change()
        except users.AccountNotFound:
            abort(404)
        except users.AccountError as error:
            _fail(form, error)
        else:
            flash(saved, "success")
            return _after_change(user_id)
    return _render_detail(user_id, status=422, **{form_name: form})


@bp.post("/staff/<int:user_id>/role", endpoint="staff_role")
def staff_role(user_id: int):
    form = RoleForm()
    change = partial(users.set_role, user_id, form.role.data, actor_id=current_user.id)
    return _change_from_form(user_id, form, change, "Role saved.", "role_form")


@bp.post("/staff/<int:user_id>/password", endpoint="staff_password")
def staff_password(user_id: int):
    form = PasswordResetForm()
    change = partial(users.set_password, user_id, form.password.data, actor_id=current_user.id)
    return _change_from_form(user_id, form, change, RESET_DONE, "password_form")


@bp.post("/staff/<int:user_id>/deactivate", endpoint="staff_deactivate")
def staff_deactivate(user_id: int):
    """CSRF is checked for every POST by CSRFProtect; the action has no other field."""
    try:
        users.deactivate(user_id, actor_id=current_user.id)
    except users.LastAdminError as error:
        return _render_detail(user_id, action_error=error.message, status=422)
    flash("Account deactivated. It can no longer sign in, and any session of it has ended.", "success")
    return _after_change(user_id)


@bp.post("/staff/<int:user_id>/reactivate", endpoint="staff_reactivate")
def staff_reactivate(user_id: int):
    users.reactivate(user_id, actor_id=current_user.id)
    flash("Account reactivated. It can sign in again with its current password.", "success")
    return _after_change(user_id)


@bp.post("/staff/<int:user_id>/two-factor/reset", endpoint="staff_two_factor_reset")
def staff_two_factor_reset(user_id: int):
    """A lost phone: the account's second factor and recovery codes go, and it sets them up again."""
    try:
        two_factor.reset(user_id, actor_id=current_user.id)
    except users.AccountNotFound:
        abort(404)
    flash(
        "Two-factor sign-in was reset. Any session of that account has ended; at the next sign-in it sets up "
        "an authenticator app again.",
        "success",
    )
    return _after_change(user_id)


def _after_change(user_id: int):
    """Back to the account, unless the change just took this admin's own access away."""
    if not current_user.is_authenticated or not current_user.is_admin:
        return redirect("/staff/" if current_user.is_authenticated else url_for("auth.login"), 303)
    return redirect(url_for("admin.staff_detail", user_id=user_id), 303)
