from clinic.staff import (
    courses_routes,  # noqa: F401  (course pages, registered on the same blueprint)
    flags_routes,  # noqa: F401  (resolving a flagged booking, the same)
)
from clinic.staff.routes import bp

__all__ = ["bp"]
