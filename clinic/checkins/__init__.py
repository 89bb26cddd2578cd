from clinic.checkins.routes import bp

__all__ = ["bp"]
