"""The signed-in user's own account: changing the password. Registered on the auth blueprint (/staff/...)."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from clinic.auth.account_forms import PasswordChangeForm
from clinic.auth.routes import bp, client_info, locked_page, sign_in_limit
from clinic.services.accounts import own_account, users
from clinic.timeutil import utcnow


@bp.route("/account/password", methods=["GET", "POST"], endpoint="password")
@sign_in_limit
def password_page():
    """Change one's own password: the current one, then the new one twice. Other sessions end."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = own_account.change_password(
                current_user.id,
                form.current_password.data,
                form.new_password.data,
                now=utcnow(),
                client=client_info(),
            )
        except users.LoginLocked as locked:
            session.clear()
            return locked_page(locked)
        except own_account.PasswordChangeError as error:
            form[error.field].errors = [*form[error.field].errors, error.message]
            status = 422
        else:
            stamps = {name: session.get(name) for name in ("login_at", "seen_at")}
            login_user(user, remember=False, fresh=True)  # this session carries the new version
            session.update(stamps)
            flash("Password changed. Any other session of your account has been signed out.", "success")
            return redirect(url_for(".password"), 303)
    elif request.method == "POST":
        status = 422
    return render_template("auth/password.html", form=form), status
