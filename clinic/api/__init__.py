from clinic.api.routes import bp

__all__ = ["bp"]
