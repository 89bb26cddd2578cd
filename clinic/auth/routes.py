"""Sign-in and sign-out for staff, and the session timeouts that apply to every request."""

from datetime import datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from clinic.auth.forms import LoginForm
from clinic.auth.guards import require_role
from clinic.auth.redirects import safe_next
from clinic.extensions import limiter
from clinic.services.accounts import users
from clinic.services.accounts.sign_in import ClientInfo
from clinic.timeutil import utcnow
from clinic.triage.enums import Role

bp = Blueprint("auth", __name__, url_prefix="/staff")
require_role(bp, Role.STAFF, exempt=("auth.login", "auth.verify"))

HOME = "/staff/"
LOGIN_FAILED = "That email and password do not match. Please try again."
DEACTIVATED = (
    "This account has been deactivated, so it cannot sign in. "
    "Ask an admin at the clinic if you need it again."
)
SESSION_ENDED = "Your session has ended. Please sign in again."
GUARDED_AREAS = ("/staff", "/admin")
PENDING = "pending_sign_in"


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


# One budget per client address for every sign-in step (password and code), whatever accounts it tries.
sign_in_limit = limiter.shared_limit(_sign_in_limit, scope="sign-in", methods=["POST"])


def client_info() -> ClientInfo:
    """The client address (the proxy's view of it when PROXY_COUNT says so) and browser, for the audit."""
    return ClientInfo(address=request.remote_addr, user_agent=request.user_agent.string or None)


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limit
def login():
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(next_url or HOME, 303)
    form = LoginForm()
    status = 200
    failed = False
    message = LOGIN_FAILED
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.email.data, form.password.data, now=utcnow(), client=client_info())
        except users.LoginLocked as locked:
            return locked_page(locked)
        except users.AccountDeactivated:
            failed, status, message = True, 403, DEACTIVATED
        except users.LoginFailed:
            failed, status = True, 401
        else:
            if user.has_two_factor:
                start_pending(user, next_url)
                return redirect(url_for(".verify"), 303)
            start_session(user)
            return redirect(next_url or HOME, 303)
    elif request.method == "POST":
        status = 422
    return render_template(
        "auth/login.html", form=form, failed=failed, failed_message=message, next_url=next_url
    ), status


@bp.post("/logout")
def logout():
    users.logout(current_user.id, client=client_info())
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for(".login"), 303)


def locked_page(locked: users.LoginLocked):
    seconds = max(60, int((locked.until - utcnow()).total_seconds()))
    page = render_template("auth/locked.html", minutes=-(-seconds // 60))
    return page, 429, {"Retry-After": str(seconds)}


def start_pending(user, next_url: str | None) -> None:
    """The password was right and a code is still due: a fresh session that names the account, but
    signs nobody in, so no staff or admin page opens until /staff/login/verify accepts a code."""
    session.clear()
    session[PENDING] = {
        "user": user.id,
        "version": user.session_version,
        "at": utcnow().isoformat(),
        "next": next_url,
    }


def start_session(user) -> None:
    """A fresh session (no fixation), permanent for the absolute lifetime, stamped for the timeouts."""
    session.clear()
    login_user(user, remember=False, fresh=True)
    session.permanent = True
    stamp = utcnow().isoformat()
    session["login_at"] = stamp
    session["seen_at"] = stamp


@bp.before_app_request
def end_stale_session():
    """End a signed-in session after STAFF_IDLE_TIMEOUT idle or STAFF_ABSOLUTE_TIMEOUT since sign-in.

    Reads only the cookie (no query). A protected page then sends the user to sign in again; any other page
    simply carries on for an anonymous visitor. The idle clock is moved on once STAFF_SEEN_STEP has passed
    since its last stamp, so that the cookie is not written again on every request.
    """
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    now = utcnow()
    seen_at = _when(session.get("seen_at"))
    steady = session_steady_until()
    if steady is not None and now < steady[1]:
        if not seen_at <= now < steady[0]:  # the step has passed (or the clock went back)
            session["seen_at"] = now.isoformat()
        return None
    session.clear()
    if request.endpoint == "auth.login":
        flash(SESSION_ENDED, "info")
        return None
    if not any(request.path == area or request.path.startswith(area + "/") for area in GUARDED_AREAS):
        return None
    flash(SESSION_ENDED, "info")
    here = None
    if request.method == "GET":  # a form posted after the timeout cannot be replayed by a redirect
        query = request.query_string.decode("latin-1")
        here = safe_next(request.path + (f"?{query}" if query else ""))
    return redirect(url_for("auth.login", next=here), 303)


def session_steady_until() -> tuple[datetime, datetime] | None:
    """For the signed-in session of this request: when its idle clock is next moved on (the cookie written
    again: STAFF_SEEN_STEP after the last stamp) and when it ends (idle or absolute timeout, exclusive);
    None when its stamps are missing or not times. Until the first instant the session cookie stays as it
    is; from the second the session is over."""
    login_at, seen_at = _when(session.get("login_at")), _when(session.get("seen_at"))
    if login_at is None or seen_at is None:
        return None
    config = current_app.config
    ends = min(seen_at + config["STAFF_IDLE_TIMEOUT"], login_at + config["STAFF_ABSOLUTE_TIMEOUT"])
    return seen_at + config["STAFF_SEEN_STEP"], ends + timedelta(microseconds=1)


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
