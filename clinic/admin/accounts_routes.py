"""The /admin/staff views: staff accounts."""

from clinic.admin.routes import bp  # noqa: F401
