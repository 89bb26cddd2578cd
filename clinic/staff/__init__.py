from clinic.staff.routes import bp

__all__ = ["bp"]
