"""Two-factor sign-in: the second step of signing in, and setting up an authenticator app.

Registered on the auth blueprint (/staff/...), whose guard lets `auth.verify` open without a signed-in user.
"""

from datetime import datetime, timedelta

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from clinic.auth.account_forms import CodeForm
from clinic.auth.redirects import safe_next
from clinic.auth.routes import (
    HOME,
    PENDING,
    bp,
    client_info,
    locked_page,
    sign_in_limit,
    start_session,
)
from clinic.extensions import writes_on_get
from clinic.services.accounts import two_factor, users
from clinic.timeutil import utcnow

PENDING_LIFETIME = timedelta(minutes=5)
SIGN_IN_AGAIN = "Please sign in again: the sign-in was not finished in time."


def _pending() -> dict | None:
    """The sign-in waiting for its code, while it is fresh (a few minutes), else None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        started = datetime.fromisoformat(pending["at"])
        user_id, version = int(pending["user"]), int(pending["version"])
    except (KeyError, TypeError, ValueError):
        return None
    if started.tzinfo is None or not timedelta(0) <= utcnow() - started <= PENDING_LIFETIME:
        return None
    return {"user": user_id, "version": version, "next": safe_next(pending.get("next"))}


def _start_over():
    session.pop(PENDING, None)
    flash(SIGN_IN_AGAIN, "info")
    return redirect(url_for(".login"), 303)


@bp.route("/login/verify", methods=["GET", "POST"], endpoint="verify")
@sign_in_limit
def verify():
    """Second step: a code from the authenticator app (or a recovery code) finishes signing in."""
    pending = _pending()
    if pending is None:
        return _start_over()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            user, method = two_factor.verify_sign_in(
                pending["user"], pending["version"], form.code.data, now=utcnow(), client=client_info()
            )
        except users.LoginLocked as locked:
            session.clear()
            return locked_page(locked)
        except two_factor.PendingSignInEnded:
            return _start_over()
        except users.LoginFailed:
            form.code.errors = [*form.code.errors, two_factor.CODE_REFUSED]
            status = 401
        else:
            start_session(user)
            if method == "recovery":
                left = two_factor.recovery_codes_left(user.id)
                flash(
                    f"You signed in with a recovery code; it cannot be used again. {left} left. "
                    "If your phone is lost, ask an admin to reset two-factor sign-in.",
                    "warning",
                )
            return redirect(pending["next"] or HOME, 303)
    elif request.method == "POST":
        status = 422
    form.code.data = ""  # a code is never shown back
    return render_template("auth/verify.html", form=form), status


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@writes_on_get  # the first visit stores the secret being set up
def two_factor_page():
    """Set up an authenticator app: a QR code and the secret as text; a valid code turns it on."""
    if current_user.has_two_factor:
        return render_template(
            "auth/two_factor.html",
            enabled=True,
            codes=None,
            left=two_factor.recovery_codes_left(current_user.id),
        )
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(current_user.id, form.code.data, now=utcnow(), client=client_info())
        except two_factor.TwoFactorError as error:
            form.code.errors = [*form.code.errors, error.message]
            status = 422
        else:
            return render_template("auth/two_factor.html", enabled=True, codes=codes, left=len(codes))
    elif request.method == "POST":
        status = 422
    setup = two_factor.start_setup(current_user.id)
    form.code.data = ""
    required = two_factor.needs_setup(current_user)
    return render_template(
        "auth/two_factor.html", enabled=False, setup=setup, form=form, required=required
    ), status
