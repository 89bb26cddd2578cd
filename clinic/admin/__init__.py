from clinic.admin.routes import bp

__all__ = ["bp"]
