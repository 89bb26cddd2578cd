from clinic.booking.routes import bp

__all__ = ["bp"]
