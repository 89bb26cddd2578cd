from flask import Blueprint

from clinic.auth.guards import require_role
from clinic.triage.enums import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_role(bp, Role.ADMIN)
