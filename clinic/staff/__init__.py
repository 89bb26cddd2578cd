from clinic.staff import checkins_routes, courses_routes  # noqa: F401  (registered on the same blueprint)
from clinic.staff.routes import bp

__all__ = ["bp"]
