from clinic.intake import waitlist_routes  # noqa: F401  (waitlist pages, registered on the same blueprint)
from clinic.intake.routes import bp

__all__ = ["bp"]
