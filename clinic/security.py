"""Security headers on every response, errors included."""

from flask import Flask, request
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def init_app(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        content_security_policy_nonce_in=[],
        frame_options="DENY",
        referrer_policy="same-origin",
        strict_transport_security=not app.debug,
        x_xss_protection=False,
    )

    @app.after_request
    def no_store(response):
        """Pages may carry health data or tokens: never let a shared or browser cache keep them."""
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
