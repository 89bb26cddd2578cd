"""Access to whole areas, guarded once per blueprint rather than remembered per view."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from clinic.extensions import login_manager
from clinic.triage.enums import Role


def require_role(bp: Blueprint, role: Role, *, exempt: tuple[str, ...] = ()) -> None:
    """Every view of `bp` needs a signed-in user; `Role.ADMIN` areas also refuse staff (403).

    `exempt` names endpoints (e.g. "auth.login") that must stay open to anonymous users.
    """

    @bp.before_request
    def check_access():
        if request.endpoint in exempt:
            return None
        if not current_user.is_authenticated:
            return _to_sign_in()
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
