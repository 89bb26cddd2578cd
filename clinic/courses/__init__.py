from clinic.courses.routes import bp

__all__ = ["bp"]
