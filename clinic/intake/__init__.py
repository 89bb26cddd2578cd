from clinic.intake.routes import bp

__all__ = ["bp"]
