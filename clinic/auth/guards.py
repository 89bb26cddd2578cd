"""Access to whole areas, guarded once per blueprint rather than remembered per view."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from clinic.extensions import login_manager
from clinic.services.accounts.two_factor import needs_setup
from clinic.triage.enums import Role

# What a user who must set up two-factor sign-in may still open: the setup page itself, and sign-out.
SETUP_OPEN = frozenset({"auth.two_factor", "auth.logout"})


def require_role(bp: Blueprint, role: Role, *, exempt: tuple[str, ...] = ()) -> None:
    """Every view of `bp` needs a signed-in user; `Role.ADMIN` areas also refuse staff (403).

    A user who must have two-factor sign-in and has not set it up yet (every admin, and every staff user
    when the clinic requires it) is sent to set it up, from every page, until it is done.
    `exempt` names endpoints (e.g. "auth.login") that must stay open to anonymous users.
    """

    @bp.before_request
    def check_access():
        if request.endpoint in exempt:
            return None
        if not current_user.is_authenticated:
            return _to_sign_in()
        if request.endpoint not in SETUP_OPEN and needs_setup(current_user):
            flash("Set up two-factor sign-in to continue: it protects the patients' records.", "info")
            return redirect(url_for("auth.two_factor"), 303)
        if role == Role.ADMIN and not current_user.is_admin:
            abort(403)
        return None


def _to_sign_in():
    """The sign-in page, coming back here afterwards for a page (GET); a form posted while signed out
    cannot be replayed by a redirect, so it comes back to the queue instead of a 405."""
    if request.method in ("GET", "HEAD"):
        return login_manager.unauthorized()
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for(login_manager.login_view), 303)
