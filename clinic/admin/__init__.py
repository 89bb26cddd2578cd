from clinic.admin import (
    accounts_routes,  # noqa: F401  (/admin/staff views, registered on the same blueprint)
    affected_routes,  # noqa: F401  (/admin/affected, the same)
    courses_routes,  # noqa: F401  (/admin/chairs and /admin/treatments, the same)
)
from clinic.admin.routes import bp

__all__ = ["bp"]
