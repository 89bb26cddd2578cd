from clinic.staff import (
    checkins_routes,  # noqa: F401  (check-ins, registered on the same blueprint)
    courses_routes,  # noqa: F401  (course pages, registered on the same blueprint)
    flags_routes,  # noqa: F401  (resolving a flagged booking, the same)
    waitlist_routes,  # noqa: F401  (the waitlist, registered on the same blueprint)
)
from clinic.staff.routes import bp

__all__ = ["bp"]
