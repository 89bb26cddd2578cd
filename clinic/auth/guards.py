"""Access to whole areas, guarded once per blueprint rather than remembered per view."""

from flask import Blueprint, abort
from flask_login import current_user

from clinic.extensions import login_manager
from clinic.triage.enums import Role


def require_role(bp: Blueprint, role: Role, *, exempt: tuple[str, ...] = ()) -> None:
    """Every view of `bp` needs a signed-in user; `Role.ADMIN` areas also refuse staff (403).

    `exempt` names endpoints (e.g. "auth.login") that must stay open to anonymous users.
    """

    @bp.before_request
    def check_access():
        from flask import request

        if request.endpoint in exempt:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if role == Role.ADMIN and not current_user.is_admin:
            abort(403)
        return None
