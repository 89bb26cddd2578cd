"""How a session cookie becomes a staff user: only an active account whose session version still matches."""

from clinic.extensions import db, login_manager
from clinic.models import StaffUser


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user
