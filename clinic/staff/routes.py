from flask import Blueprint

from clinic.auth.guards import require_role
from clinic.triage.enums import Role

bp = Blueprint("staff", __name__, url_prefix="/staff")
require_role(bp, Role.STAFF)
