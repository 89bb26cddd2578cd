from clinic.auth import loader  # noqa: F401  (registers the user loader)
from clinic.auth.routes import bp

__all__ = ["bp"]
