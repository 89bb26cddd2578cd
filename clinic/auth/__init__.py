from clinic.auth import (
    account_routes,  # noqa: F401  (registers its views on bp)
    loader,  # noqa: F401  (registers the user loader)
    two_factor_routes,  # noqa: F401  (registers its views on bp)
)
from clinic.auth.routes import bp

__all__ = ["bp"]
